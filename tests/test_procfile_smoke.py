"""The production shape as a whole: the Procfile's processes (web, worker, beat) under honcho on
PostgreSQL and a Redis of the test's own. A client creates a schema and posts interactions for
200 contacts, each with an Idempotency-Key, retrying when the server is away, as a client of a
deployment does. Halfway through, the whole deployment is stopped with SIGTERM (as a deploy or a
supervisor stops it) and started again. Afterwards every contact has exactly one interaction,
one automation run delivered to the webhook receiver and a place in the segment."""

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from automations.models import AutomationRun
from interactions.models import Contact, Interaction
from segments.models import SegmentMembership
from segments.services.segments import segment_create
from tests.automations.conftest import (
    TEST_SETTINGS,
    Receiver,
    _automations_settings,
    receiver,
    webhook_automation,
)
from tests.automations.processes import free_port, start_redis, stop
from tests.conftest import Persona, _database_url, wait_until
from tests.factories import ContactFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
CONTACTS = 200
# Fixtures shared with the automations tests: the webhook receiver and their settings (autouse).
__all__ = ["_automations_settings", "receiver"]

PURCHASE = {
    "id": "purchase",
    "displayName": "Made a purchase",
    "jsonSchema": {"type": "object", "properties": {"store": {"type": "string"}}},
}


class Deployment:
    """The Procfile under honcho; ``stop`` sends SIGTERM to honcho, which forwards it to every
    process and waits for them."""

    def __init__(self, env: dict[str, str], port: int, log: Path) -> None:
        self.env, self.port, self.log = env, port, log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "honcho", "start", "-f", "Procfile", "-p", str(self.port)],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        wait_until(self._ready, timeout=90, interval=0.25)

    def _ready(self) -> bool:
        """The web process answers (readyz checks the database and Redis)."""
        assert self.process is not None and self.process.poll() is None, self.log.read_text()
        try:
            with urllib.request.urlopen(f"{self.url}/readyz", timeout=2) as answer:  # noqa: S310
                return bool(answer.status == 200)
        except OSError:
            return False

    def stop(self) -> dict[str, int]:
        """SIGTERM to honcho; answers each process's exit status as honcho reports it."""
        assert self.process is not None
        offset = self.log.stat().st_size
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)
        with open(self.log, "rb") as log:
            log.seek(offset)
            stopped = re.findall(rb"(\w+)\.1 stopped \(rc=(-?\d+)\)", log.read())
        return {name.decode(): int(rc) for name, rc in stopped}


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    redis_port = free_port()
    redis = start_redis(redis_port, tmp_path)
    (tmp_path / "data").mkdir()
    env = {
        **os.environ,
        **TEST_SETTINGS,
        "DATABASE_URL": _database_url(connection.settings_dict),
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "DATA_DIR": str(tmp_path / "data"),
        "PYTHONUNBUFFERED": "1",
    }
    deployment = Deployment(env, free_port(), tmp_path / "honcho.log")
    yield deployment
    if deployment.process is not None and deployment.process.poll() is None:
        deployment.stop()  # honcho stops what it started (SIGKILL after 5 s); killing it would not
    stop(redis)


class Client:
    """Posts one interaction per contact with an Idempotency-Key of its own, retrying on
    connection errors and 5xx until the answer is 200 (a retry returns the first answer)."""

    def __init__(self, base_url: str, key: str, contacts: list[Contact]) -> None:
        self.base_url, self.key, self.contacts = base_url, key, contacts
        self.answered: dict[str, str] = {}  # contact id -> interaction id
        self.retries = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _post(self, path: str, body: Any, idempotency_key: str) -> Any:
        request = urllib.request.Request(  # noqa: S310 - a loopback test server
            f"{self.base_url}{path}",
            data=json.dumps(body).encode(),
            method="POST",
            headers={
                "apikey": self.key,
                "Content-Type": "application/json",
                "Idempotency-Key": idempotency_key,
            },
        )
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            assert answer.status == 200
            return json.loads(answer.read())

    def post_until_answered(self, path: str, body: Any) -> Any:
        idempotency_key = str(uuid.uuid4())
        deadline = time.monotonic() + 180
        while True:
            try:
                return self._post(path, body, idempotency_key)
            except urllib.error.HTTPError as error:
                if error.code < 500 and error.code != 409:
                    raise AssertionError(f"{path}: {error.code} {error.read()!r}") from error
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            assert time.monotonic() < deadline, f"{path} was never answered"
            self.retries += 1
            time.sleep(0.2)

    def _run(self) -> None:
        for contact in self.contacts:
            body = {"contactId": str(contact.pk), "schemaId": "purchase", "payload": {"store": "s"}}
            self.answered[str(contact.pk)] = self.post_until_answered("/api/v2/interactions", body)[
                "id"
            ]


def test_the_procfile_survives_a_sigterm_mid_burst_losing_and_doubling_nothing(
    alice: Persona, receiver: Receiver, deployment: Deployment
) -> None:
    contacts = [ContactFactory(tenant=alice.tenant) for _ in range(CONTACTS)]
    deployment.start()
    client = Client(deployment.url, alice.key, contacts)
    client.post_until_answered("/api/v2/interactionschemas", PURCHASE)
    segment = segment_create(
        tenant=alice.tenant, name="Buyers", rule={"type": "count", "schemaId": "purchase"}
    )
    webhook_automation(alice.tenant, f"{receiver.url}/ok", receiver)

    client.thread.start()
    wait_until(lambda: len(client.answered) >= CONTACTS // 4, timeout=120)
    # Each process stopped on the signal by itself (a process killed by it would report -15).
    assert deployment.stop() == {"web": 0, "worker": 0, "beat": 0}
    answered_before_restart = len(client.answered)
    deployment.start()
    client.thread.join(timeout=240)
    assert not client.thread.is_alive()

    wait_until(lambda: len(receiver.run_ids()) == CONTACTS, timeout=120)
    wait_until(
        lambda: (
            SegmentMembership.objects.filter(segment=segment, exited_at__isnull=True).count()
            == CONTACTS
        ),
        timeout=120,
    )
    wait_until(
        lambda: AutomationRun.objects.filter(status="succeeded").count() == CONTACTS, timeout=60
    )
    assert deployment.stop() == {"web": 0, "worker": 0, "beat": 0}

    assert answered_before_restart < CONTACTS
    assert client.retries > 0  # the client did meet the deployment down
    stored = dict(Interaction.objects.values_list("contact_id", "id"))
    assert {str(k): str(v) for k, v in stored.items()} == client.answered
    assert Interaction.objects.count() == CONTACTS  # every contact once: nothing lost or doubled
    runs = AutomationRun.objects.values_list("pk", "contact_id")
    assert sorted(str(contact_id) for _, contact_id in runs) == sorted(client.answered)
    assert set(receiver.run_ids()) == {str(pk) for pk, _ in runs}
    assert all(d.signed for d in receiver.successes())

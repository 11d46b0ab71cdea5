"""The embedded default (no REDIS_URL): `manage.py serve` runs background work in companion
processes through the same code paths as production, so a slow webhook target never holds up the
POST that triggered it, a failing one is retried with its back-off, and the companions stop with
`serve`.

Each test runs the app from nothing in a directory of its own (SQLite, message-file broker, file
cache), the way `./bin/start` does, and talks to it over HTTP.
"""

import itertools
import json
import signal
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.automations.processes import free_port
from tests.conftest import wait_until
from tests.served import (
    alive,
    descendants,
    env_without_services,
    manage,
    post_interaction,
    serve,
    stop,
)

NEVER_FAILING = {"type": "never", "schemaId": "failing"}
SLOW_TARGET_SECONDS = 3.0
RETRY_BASE_SECONDS = 1.0
MAX_ATTEMPTS = 3

SETUP = """
import itertools
import json
from automations.services.automations import automation_create
from interactions.models import InteractionSchema, Tenant
from interactions.services.contacts import contact_create
from interactions.services.schemas import interaction_schema_create
from interactions.services.tenants import api_key_create
tenant = Tenant.objects.create(slug="embedded", name="Embedded")
_, key = api_key_create(tenant=tenant, name="test")
for schema_id, path in (("slow", "/slow"), ("failing", "/down")):
    schema = interaction_schema_create(tenant=tenant, schema_id=schema_id,
        display_name=schema_id, json_schema={"type": "object", "properties": {}})
    automation_create(tenant=tenant, schemas=[schema], name=schema_id,
        trigger="new_interaction", entry_rule="every_time",
        actions=[{"type": "webhook", "url": "%(url)s" + path}])
print(json.dumps({"key": key, "contact": str(contact_create(tenant=tenant, email="a@x.io").pk)}))
"""


@dataclass
class Hooks:
    """A webhook target: /slow answers after SLOW_TARGET_SECONDS, /down always fails."""

    url: str = ""
    arrivals: list[tuple[str, float]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def at(self, path: str) -> list[float]:
        with self.lock:
            return [moment for seen, moment in self.arrivals if seen == path]


@pytest.fixture(scope="module")
def hooks() -> Iterator[Hooks]:
    state = Hooks()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with state.lock:
                state.arrivals.append((self.path, time.monotonic()))
            if self.path == "/slow":
                time.sleep(SLOW_TARGET_SECONDS)
            self.send_response(200 if self.path == "/slow" else 500)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield state
    server.shutdown()
    server.server_close()


@dataclass
class Embedded:
    port: int
    key: str
    contact: str
    process: Any
    log: Path

    def post(self, schema_id: str) -> tuple[int, float]:
        document = {"contactId": self.contact, "schemaId": schema_id, "payload": {}}
        return post_interaction(self.port, self.key, document)

    def call(self, method: str, path: str, document: Any = None) -> Any:
        """The API's answer (JSON, or None when empty)."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/api/v2/{path}",
            data=None if document is None else json.dumps(document).encode(),
            headers={"Content-Type": "application/json", "apikey": self.key},
            method=method,
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - our own
            body = response.read()
        return json.loads(body) if body else None


def start_embedded(directory: Path, hooks: Hooks) -> Embedded:
    """`manage.py serve` on a free port, on a fresh DATA_DIR, without REDIS_URL."""
    env = env_without_services(
        DATA_DIR=str(directory / "data"),
        ALLOWED_HOSTS="127.0.0.1",
        LOG_LEVEL="WARNING",
        AUTOMATIONS_ALLOW_PRIVATE_WEBHOOKS="true",
        AUTOMATIONS_RETRY_BASE_SECONDS=str(RETRY_BASE_SECONDS),
        AUTOMATIONS_MAX_ATTEMPTS=str(MAX_ATTEMPTS),
    )
    manage("migrate", "--noinput", env=env)
    created = json.loads(
        manage("shell", "-v0", "-c", SETUP % {"url": hooks.url}, env=env).splitlines()[-1]
    )
    port = free_port()
    log = directory / "serve.log"
    process = serve(port, env=env, log_path=log)
    return Embedded(port, created["key"], created["contact"], process, log)


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: Any, hooks: Hooks) -> Iterator[Embedded]:
    app = start_embedded(tmp_path_factory.mktemp("embedded"), hooks)
    yield app
    stop(app.process)


def test_a_slow_webhook_target_does_not_hold_up_the_post_and_is_delivered(
    embedded: Embedded, hooks: Hooks
) -> None:
    status, seconds = embedded.post("slow")

    assert status == 200
    # Generous for a loaded machine, and far below the target's 3 s: the webhook is not sent
    # from the request.
    assert seconds < 1.0, f"POST took {seconds:.3f}s"
    wait_until(lambda: hooks.at("/slow"), timeout=30)


def test_a_failing_webhook_target_is_retried_with_its_back_off(
    embedded: Embedded, hooks: Hooks
) -> None:
    status, seconds = embedded.post("failing")

    assert status == 200
    assert seconds < 1.0, f"POST took {seconds:.3f}s"
    wait_until(lambda: len(hooks.at("/down")) >= MAX_ATTEMPTS, timeout=60)
    time.sleep(RETRY_BASE_SECONDS * 2)  # no try beyond the last
    tries = hooks.at("/down")
    assert len(tries) == MAX_ATTEMPTS
    gaps = [later - earlier for earlier, later in itertools.pairwise(tries)]
    # base, then twice the base: each counted from the end of the failed try, so a gap between
    # arrivals is never shorter.
    expected = [RETRY_BASE_SECONDS * 2**number for number in range(MAX_ATTEMPTS - 1)]
    assert all(gap >= wanted for gap, wanted in zip(gaps, expected, strict=True)), gaps


def test_a_new_contact_and_a_tag_put_on_reach_their_segments_within_seconds(
    embedded: Embedded,
) -> None:
    never = embedded.call("POST", "segments", {"name": "Never", "rule": NEVER_FAILING})
    vip = embedded.call("POST", "segments", {"name": "VIP", "rule": {"type": "tag", "name": "VIP"}})

    def count(segment: dict[str, Any]) -> int:
        return int(embedded.call("GET", f"segments/{segment['id']}/count")["count"])

    contact = embedded.call("POST", "contacts", {"email": "new@example.com"})

    def entered_never() -> bool:
        """the new contact is counted in "never", with no manual refresh"""
        members = embedded.call("GET", f"segments/{never['id']}/members")["items"]
        return contact["id"] in {member["contactId"] for member in members}

    wait_until(entered_never, timeout=30)
    embedded.call("POST", f"contacts/{contact['id']}/tags", {"name": "VIP"})
    wait_until(lambda: count(vip) == 1, timeout=30)
    embedded.call("DELETE", f"contacts/{contact['id']}/tags/VIP")
    wait_until(lambda: count(vip) == 0, timeout=30)


@pytest.mark.slow
@pytest.mark.parametrize(
    "sig", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL], ids=["SIGTERM", "SIGINT", "SIGKILL"]
)
def test_the_companions_stop_with_serve(tmp_path: Path, hooks: Hooks, sig: int) -> None:
    app = start_embedded(tmp_path, hooks)
    try:
        # The worker's pool processes are there too once it has started.
        wait_until(lambda: len(descendants(app.process.pid)) >= 6, timeout=30)
        family = descendants(app.process.pid)

        stop(app.process, sig)

        # SIGKILL leaves serve no time to clean up: the kernel's parent-death signal stops the
        # companions instead.
        wait_until(lambda: not alive(family), timeout=45)
    finally:
        stop(app.process, signal.SIGKILL)

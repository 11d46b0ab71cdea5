"""Once per contact, provably: concurrent POSTs, a web process that dies after its commit, a
worker killed mid-burst, and Redis stopped during a burst. Every run is delivered at least once,
every delivery of a run carries its id, and no contact has two runs."""

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections

from automations.models import AutomationRun
from interactions.models import Contact
from tests.automations.conftest import Receiver, purchase_schema, webhook_automation
from tests.automations.processes import (
    free_port,
    start_redis,
    start_role,
    start_worker,
    stop,
)
from tests.conftest import Persona, _database_url, wait_until
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db(transaction=True)


def assert_once_per_contact_and_delivered(receiver: Receiver, contacts: list[Contact]) -> None:
    runs = list(AutomationRun.objects.filter(contact__in=contacts).values_list("pk", "contact_id"))
    assert sorted(contact_id for _, contact_id in runs) == sorted(c.pk for c in contacts)
    delivered = receiver.run_ids()
    assert set(delivered) == {str(pk) for pk, _ in runs}
    assert all(d.signed for d in receiver.successes())


@pytest.mark.worker
def test_fifty_concurrent_posts_for_a_new_contact_make_exactly_one_run(
    alice: Persona, receiver: Receiver, celery_worker: Any
) -> None:
    purchase_schema(alice.tenant)
    webhook_automation(alice.tenant, f"{receiver.url}/ok", receiver)
    contacts = []
    for _ in range(20):
        contact = ContactFactory(tenant=alice.tenant)
        contacts.append(contact)
        body = {"contactId": str(contact.pk), "schemaId": "purchase", "payload": {"store": "S"}}
        start = threading.Barrier(50)
        statuses: list[int] = []

        def send(
            body: dict[str, Any] = body,
            start: threading.Barrier = start,
            statuses: list[int] = statuses,
        ) -> None:
            from rest_framework.test import APIClient

            client = APIClient()
            client.credentials(HTTP_APIKEY=alice.key)
            start.wait()
            try:
                statuses.append(
                    client.post("/api/v2/interactions", body, format="json").status_code
                )
            finally:
                connections.close_all()

        threads = [threading.Thread(target=send) for _ in range(50)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert statuses == [200] * 50

    wait_until(lambda: len(receiver.run_ids()) >= 20, timeout=60)
    time.sleep(1)  # let any duplicate arrive
    assert_once_per_contact_and_delivered(receiver, contacts)


def _contacts_file(tmp_path: Path, contacts: list[Contact]) -> Path:
    path = tmp_path / "contacts.txt"
    path.write_text("\n".join(str(contact.pk) for contact in contacts))
    return path


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": _database_url(connection.settings_dict), **extra}


@pytest.mark.usefixtures("background")
def test_runs_of_interactions_committed_by_a_process_killed_before_dispatch_are_delivered(
    alice: Persona, receiver: Receiver, tmp_path: Path
) -> None:
    from interactions.tasks import interaction_events_dispatch_task

    purchase_schema(alice.tenant)
    webhook_automation(alice.tenant, f"{receiver.url}/ok", receiver)
    contacts = [ContactFactory(tenant=alice.tenant) for _ in range(5)]
    producer = start_role(
        "commit-and-die",
        str(_contacts_file(tmp_path, contacts)),
        "purchase",
        env=_env(),
        log_path=tmp_path / "producer.log",
    )
    assert producer.wait(timeout=60) == -signal.SIGKILL
    assert AutomationRun.objects.count() == 0  # nothing was handed over
    assert Contact.objects.filter(interactions__isnull=False).distinct().count() == 5

    interaction_events_dispatch_task.delay()  # the beat's sweep
    wait_until(lambda: len(receiver.run_ids()) == 5, timeout=30)
    assert_once_per_contact_and_delivered(receiver, contacts)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[tuple[str, Any]]:
    """A redis-server of this test's own, on a free port; yields its URL and a restart function."""
    port = free_port()
    state = {"process": start_redis(port, tmp_path)}

    def outage(seconds: float) -> None:
        stop(state["process"])
        time.sleep(seconds)
        state["process"] = start_redis(port, tmp_path)

    yield f"redis://127.0.0.1:{port}/0", outage
    stop(state["process"])


def _burst(
    alice: Persona, receiver: Receiver, tmp_path: Path, redis_url: str
) -> tuple[list[Contact], dict[str, str], Any, Any]:
    purchase_schema(alice.tenant)
    webhook_automation(alice.tenant, f"{receiver.url}/ok", receiver)
    contacts = [ContactFactory(tenant=alice.tenant) for _ in range(500)]
    env = _env(REDIS_URL=redis_url)
    sweeper = start_role("sweep", env=env, log_path=tmp_path / "sweep.log")
    producer = start_role(
        "produce",
        str(_contacts_file(tmp_path, contacts)),
        "purchase",
        "4",
        env=env,
        log_path=tmp_path / "producer.log",
    )
    return contacts, env, sweeper, producer


@pytest.mark.worker
@pytest.mark.slow
def test_a_worker_killed_mid_burst_loses_and_doubles_no_run(
    alice: Persona, receiver: Receiver, tmp_path: Path, private_redis: tuple[str, Any]
) -> None:
    redis_url, _ = private_redis
    contacts, env, sweeper, producer = _burst(alice, receiver, tmp_path, redis_url)
    worker = start_worker(env, tmp_path / "worker.log", f"killed-{os.getpid()}@localhost")
    try:
        wait_until(lambda: len(receiver.run_ids()) >= 50, timeout=90)
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        delivered_at_kill = len(receiver.run_ids())
        time.sleep(1)
        worker = start_worker(env, tmp_path / "worker.log", f"restarted-{os.getpid()}@localhost")
        assert producer.wait(timeout=120) == 0
        wait_until(lambda: len(receiver.run_ids()) == 500, timeout=120)
        # A run the killed worker delivered but never marked is finished by a live worker once
        # its lease ends, so the processes keep running until every run says so.
        wait_until(
            lambda: AutomationRun.objects.filter(status="succeeded").count() == 500, timeout=60
        )
        time.sleep(1)
    finally:
        for process in (producer, sweeper, worker):
            stop(process)
    assert delivered_at_kill < 500
    assert AutomationRun.objects.count() == 500
    assert_once_per_contact_and_delivered(receiver, contacts)


@pytest.mark.worker
@pytest.mark.slow
def test_redis_stopped_for_ten_seconds_mid_burst_loses_and_doubles_no_run(
    alice: Persona, receiver: Receiver, tmp_path: Path, private_redis: tuple[str, Any]
) -> None:
    redis_url, outage = private_redis
    contacts, env, sweeper, producer = _burst(alice, receiver, tmp_path, redis_url)
    worker = start_worker(env, tmp_path / "worker.log", f"redis-{os.getpid()}@localhost")
    restarts = 0

    def supervised_delivery_of(count: int) -> bool:
        """Celery's worker can exit on a broker outage; like a process supervisor (systemd
        Restart=always), start it again. Runs must still be delivered once each."""
        nonlocal worker, restarts
        if worker.poll() is not None:
            restarts += 1
            worker = start_worker(
                env,
                tmp_path / f"worker-{restarts}.log",
                f"redis-{restarts}-{os.getpid()}@localhost",
            )
        return len(receiver.run_ids()) >= count

    try:
        wait_until(lambda: supervised_delivery_of(50), timeout=90)
        outage(10)
        assert producer.wait(timeout=120) == 0
        wait_until(lambda: supervised_delivery_of(500), timeout=120)
        time.sleep(1)
    finally:
        for process in (producer, sweeper, worker):
            stop(process)
    assert AutomationRun.objects.count() == 500
    assert_once_per_contact_and_delivered(receiver, contacts)

"""A broker outage never slows ingestion. With the app's Redis (its broker and cache) stopped,
POSTs still answer 200 quickly, because the dispatch hint after the commit skips a broker it
can't reach; once Redis is back the periodic sweep (celery beat) hands the events over and every
run is delivered.

The app, a Celery worker and beat run as processes of their own on a redis-server of this test's
own, which the test stops and starts again.
"""

import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from automations.models import AutomationRun
from tests.automations.conftest import Receiver, purchase_schema, webhook_automation
from tests.automations.processes import free_port, start_redis, start_worker
from tests.conftest import Persona, _database_url, wait_until
from tests.factories import ContactFactory
from tests.served import ROOT, post_interaction, serve, stop

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

POSTS_DURING_OUTAGE = 10


def start_beat(env: dict[str, str], directory: Path) -> Any:
    import subprocess

    log = open(directory / "beat.log", "ab")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "engage_site", "beat", "--loglevel=WARNING",
         "-s", str(directory / "beat-schedule")],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip


def test_posts_answer_quickly_while_redis_is_down_and_their_runs_follow_when_it_returns(
    alice: Persona, receiver: Receiver, tmp_path: Path
) -> None:
    purchase_schema(alice.tenant)
    webhook_automation(alice.tenant, f"{receiver.url}/ok", receiver)
    contacts = [ContactFactory(tenant=alice.tenant) for _ in range(POSTS_DURING_OUTAGE + 1)]
    redis_port, http_port = free_port(), free_port()
    redis = start_redis(redis_port, tmp_path)
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(connection.settings_dict),
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        "EVENT_SWEEP_SECONDS": "1",
        "AUTOMATION_RELAY_SECONDS": "1",
    }
    processes: dict[str, Any] = {}

    def supervised(condition: Any) -> Any:
        """Like a process supervisor (systemd Restart=always), start the worker and beat again
        when they exit: Celery's can on a broker outage."""

        def check() -> bool:
            if processes["worker"].poll() is not None:
                node = f"outage-{time.monotonic_ns()}@localhost"
                processes["worker"] = start_worker(env, tmp_path / "worker.log", node)
            if processes["beat"].poll() is not None:
                processes["beat"] = start_beat(env, tmp_path)
            return bool(condition())

        return check

    def post(index: int) -> tuple[int, float]:
        document = {
            "contactId": str(contacts[index].pk),
            "schemaId": "purchase",
            "payload": {"store": "S"},
        }
        return post_interaction(http_port, alice.key, document)

    try:
        processes["server"] = serve(http_port, env=env, log_path=tmp_path / "serve.log")
        processes["worker"] = start_worker(env, tmp_path / "worker.log", "outage@localhost")
        processes["beat"] = start_beat(env, tmp_path)
        assert post(0)[0] == 200
        wait_until(supervised(lambda: len(receiver.run_ids()) == 1), timeout=60)

        stop(redis)
        during_outage = [post(index) for index in range(1, POSTS_DURING_OUTAGE + 1)]
        redis = start_redis(redis_port, tmp_path)

        wait_until(
            supervised(lambda: len(receiver.run_ids()) == POSTS_DURING_OUTAGE + 1), timeout=120
        )
        time.sleep(1)  # let any duplicate arrive
    finally:
        for process in processes.values():
            stop(process)
        stop(redis)

    assert [status for status, _ in during_outage] == [200] * POSTS_DURING_OUTAGE
    # A bound, not a speed test: without the hint's circuit breaker each POST waited on the
    # broker's retries.
    slowest = max(seconds for _, seconds in during_outage)
    assert slowest < 1.0, [round(seconds, 3) for _, seconds in during_outage]
    runs = AutomationRun.objects.filter(contact__in=contacts)
    assert sorted(runs.values_list("contact_id", flat=True)) == sorted(c.pk for c in contacts)
    assert set(receiver.run_ids()) == {str(pk) for pk in runs.values_list("pk", flat=True)}

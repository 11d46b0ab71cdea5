"""Running the service: health probes and the management commands an operator uses."""

import io
import re
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection
from django.test import Client
from rest_framework.test import APIClient

from interactions.models import ApiKey, Contact, Interaction, InteractionSchema, Tenant
from interactions.services.sample_data import SAMPLE_SCHEMAS

UNAUTHORIZED = {
    "statusCode": 401,
    "errorCode": "Unauthorized",
    "message": "The API key is unknown or revoked.",
}


def run(command: str, *args: str) -> list[str]:
    out = io.StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue().strip().splitlines()


def ping(key: str) -> Any:
    client = APIClient()
    client.credentials(HTTP_APIKEY=key)
    return client.get("/api/v2/ping")


# --- Probes -----------------------------------------------------------------------------------


def test_healthz_says_the_process_is_up(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_checks_the_database_and_no_broker_without_redis(
    client: Client, settings: Any
) -> None:
    settings.REDIS_URL = ""
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok"}}


@pytest.mark.django_db
def test_readyz_stays_ready_but_says_degraded_when_the_configured_broker_is_unreachable(
    client: Client, settings: Any
) -> None:
    """Requests are served while the broker is down, so the process must stay in rotation."""
    unreachable = "redis://127.0.0.1:1/0"  # loopback, a port nothing listens on
    settings.REDIS_URL = unreachable
    settings.CELERY_BROKER_URL = unreachable
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "checks": {"database": "ok", "broker": "unavailable"},
    }


@pytest.mark.django_db
def test_readyz_is_503_when_the_database_is_unreachable(client: Client) -> None:
    def refuse(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        raise OperationalError("the database is down")

    with connection.execute_wrapper(refuse):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "unavailable"


# --- Tenants and keys -------------------------------------------------------------------------


@pytest.mark.django_db
def test_create_tenant_prints_a_working_key_on_its_last_line() -> None:
    output = run("create_tenant", "acme", "--name", "Acme Retail")

    key = output[-1]
    response = ping(key)
    assert response.status_code == 200
    assert response.json() == {"tenant": "acme"}
    assert Tenant.objects.get(slug="acme").name == "Acme Retail"
    assert key not in "".join(ApiKey.objects.values_list("prefix", "secret_hash").get())


@pytest.mark.django_db
def test_create_tenant_refuses_a_slug_that_is_taken() -> None:
    run("create_tenant", "acme")
    with pytest.raises(CommandError, match="already exists"):
        run("create_tenant", "acme")
    assert Tenant.objects.filter(slug="acme").count() == 1


@pytest.mark.django_db
def test_create_api_key_adds_a_key_next_to_the_existing_one() -> None:
    first = run("create_tenant", "acme")[-1]

    second = run("create_api_key", "acme", "--name", "shop")[-1]

    assert second != first
    assert ping(first).status_code == 200
    assert ping(second).json() == {"tenant": "acme"}
    assert ApiKey.objects.filter(tenant__slug="acme").count() == 2


@pytest.mark.django_db
def test_create_api_key_with_a_rate_limit_gets_429_beyond_it() -> None:
    run("create_tenant", "acme")
    key = run("create_api_key", "acme", "--rate-limit", "3")[-1]
    assert ApiKey.objects.get(tenant__slug="acme", name="").rate_limit_per_second == 3

    with time_machine.travel(datetime(2025, 3, 1, 12, 0, 0, 500_000, tzinfo=UTC), tick=False):
        statuses = [ping(key).status_code for _ in range(4)]
        limited = ping(key)

    assert statuses == [200, 200, 200, 429]
    assert limited.json() == {
        "statusCode": 429,
        "errorCode": "TooManyRequests",
        "message": "Too many requests for this API key; retry after the time in Retry-After.",
    }
    assert int(limited["Retry-After"]) >= 1


@pytest.mark.django_db
def test_create_api_key_for_an_unknown_tenant_fails() -> None:
    with pytest.raises(CommandError, match="nobody"):
        run("create_api_key", "nobody")
    assert ApiKey.objects.count() == 0


# --- The demo ---------------------------------------------------------------------------------


def demo_key(output: list[str]) -> str:
    matches = [re.search(r"API key \(new on every run\):\s+(\S+)", line) for line in output]
    keys = [match.group(1) for match in matches if match]
    assert len(keys) == 1, output
    return keys[0]


@pytest.mark.django_db
def test_bootstrap_demo_twice_rotates_the_key_and_creates_the_samples_once() -> None:
    first = demo_key(run("bootstrap_demo", "--size", "small", "--no-progress"))
    assert ping(first).json() == {"tenant": "demo"}
    counts = (Contact.objects.count(), Interaction.objects.count())

    second = demo_key(run("bootstrap_demo", "--size", "small", "--no-progress"))

    assert second != first
    revoked = ping(first)
    assert revoked.status_code == 401
    assert revoked.json() == UNAUTHORIZED
    assert ping(second).json() == {"tenant": "demo"}

    demo = Tenant.objects.get(slug="demo")
    assert sorted(
        InteractionSchema.objects.filter(tenant=demo).values_list("schema_id", flat=True)
    ) == (sorted(schema["id"] for schema in SAMPLE_SCHEMAS))
    assert (Contact.objects.count(), Interaction.objects.count()) == counts
    assert Interaction.objects.filter(tenant=demo).count() > 0
    assert Tenant.objects.filter(slug="demo").count() == 1
    assert ApiKey.objects.filter(tenant=demo, revoked_at__isnull=True).count() == 1

    client = APIClient()
    client.credentials(HTTP_APIKEY=second)
    assert len(client.get("/api/v2/interactionschemas").json()) == len(SAMPLE_SCHEMAS)


@pytest.mark.django_db(transaction=True)
def test_the_periodic_jobs_of_the_beat_schedule_all_run_in_a_fresh_process(alice: Any) -> None:
    """Without Redis, `serve` runs the beat schedule through this command, in a process of its
    own: every job must be found there (autodiscovery) and run."""
    import os
    import subprocess
    import sys

    from django.conf import settings as django_settings
    from django.db import connection

    from interactions.models import PendingRawCopy
    from tests.conftest import _database_url
    from tests.factories import ContactFactory, make_interaction, make_schema

    make_interaction(ContactFactory(tenant=alice.tenant), make_schema(alice.tenant))
    assert PendingRawCopy.objects.count() == 1
    env = {**os.environ, "DATABASE_URL": _database_url(connection.settings_dict)}
    env.pop("REDIS_URL", None)  # the in-process mode this command exists for
    done = subprocess.run(
        [sys.executable, "manage.py", "run_periodic_jobs", "--once"],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "failed" not in done.stderr, done.stderr
    assert PendingRawCopy.objects.count() == 0  # the flush job ran

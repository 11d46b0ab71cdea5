"""Personas and plumbing shared by every test.

Tenant A and tenant B each have an API client; every endpoint is tested from B's side against A's
objects. Tests use the real database, the real HTTP stack and, where marked, a real Celery worker.
"""

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import storages
from django.test import Client
from rest_framework.test import APIClient

from interactions.models import Tenant
from interactions.public import MARKETER
from interactions.services.staff import staff_user_create
from interactions.services.tenants import api_key_create
from tests.factories import ContactFactory, TenantFactory

# The isolation harness asserts for the suites using it: report its failures as theirs are.
pytest.register_assert_rewrite("tests.isolation")


@pytest.fixture(autouse=True)
def _fast_and_strict(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CELERY_TASK_EAGER_PROPAGATES = True


@pytest.fixture(autouse=True)
def _tasks_in_process_unless_a_worker_is_wanted(request: Any) -> Any:
    """With REDIS_URL set the broker is real. Tests that don't ask for a worker run their tasks
    in-process, and so does every test without REDIS_URL (tests that want the embedded broker
    run the app in processes of their own), so that no worker touches their data while pytest
    flushes it (a worker dispatching a test's events during the flush can deadlock it)."""
    wants_worker = bool(os.environ.get("REDIS_URL")) and (
        "worker" in request.keywords
        or bool({"celery_worker", "background"} & set(request.fixturenames))
    )
    if wants_worker:
        yield
        return
    from engage_site.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _no_rate_limit_leaks(db: None) -> None:
    """Each test starts with empty rate-limit windows."""
    from django.core.cache import cache

    cache.clear()


@dataclass
class Persona:
    tenant: Tenant
    key: str
    client: APIClient

    def url(self, path: str, version: str = "v2") -> str:
        return f"/api/{version}/{path.lstrip('/')}"

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(self.url(path), **kwargs)

    def post(self, path: str, data: Any, **kwargs: Any) -> Any:
        return self.client.post(self.url(path), data, format="json", **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.client.delete(self.url(path), **kwargs)


def make_persona(slug: str) -> Persona:
    tenant = TenantFactory(slug=slug)
    _, key = api_key_create(tenant=tenant, name="test")
    client = APIClient()
    client.credentials(HTTP_APIKEY=key)
    return Persona(tenant=tenant, key=key, client=client)


def staff_client(tenant: Tenant, username: str, role: str = MARKETER) -> Client:
    """A client logged in as a new staff user of ``tenant`` with ``role``."""
    user = staff_user_create(tenant=tenant, username=username, password="a-password", role=role)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def alice(db: None) -> Persona:
    """Tenant A."""
    return make_persona("alice")


@pytest.fixture
def bob(db: None) -> Persona:
    """Tenant B, who must never see A's data."""
    return make_persona("bob")


@pytest.fixture
def blob_store(settings: Any, tmp_path: Path) -> Any:
    """Raw copies go to a directory of this test's own."""
    settings.STORAGES = {
        **settings.STORAGES,
        "raw_copies": {
            "BACKEND": "engage_site.storage.DurableFileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "blobs"), "allow_overwrite": True},
        },
    }
    return storages["raw_copies"]


@pytest.fixture
def contact(alice: Persona) -> Any:
    return ContactFactory(tenant=alice.tenant)


def pytest_addoption(parser: Any) -> None:
    parser.addoption(
        "--skip-slow", action="store_true", help="skip slow tests (browser, fault injection, fuzz)"
    )


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    skip_worker = pytest.mark.skip(reason="needs REDIS_URL and a real Celery worker")
    skip_slow = pytest.mark.skip(reason="slow, and --skip-slow was given")
    for item in items:
        if "worker" in item.keywords and not os.environ.get("REDIS_URL"):
            item.add_marker(skip_worker)
        if "slow" in item.keywords and config.getoption("--skip-slow"):
            item.add_marker(skip_slow)


def _database_url(settings_dict: dict[str, Any]) -> str:
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings_dict['NAME']}"
    user = settings_dict.get("USER") or ""
    password = settings_dict.get("PASSWORD") or ""
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    return (
        f"postgres://{credentials}{settings_dict.get('HOST') or '127.0.0.1'}:"
        f"{settings_dict.get('PORT') or 5432}/{settings_dict['NAME']}"
    )


@pytest.fixture(scope="session")
def celery_worker(django_db_setup: None, django_db_blocker: Any, tmp_path_factory: Any) -> Any:
    """A real `celery worker` process on the test database and the configured Redis."""
    from django.db import connection

    from engage_site.celery import app

    with django_db_blocker.unblock():
        database_url = _database_url(connection.settings_dict)
    log_path = tmp_path_factory.mktemp("worker") / "worker.log"
    env = {**os.environ, "DATABASE_URL": database_url}
    node = f"tests-{os.getpid()}@localhost"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "engage_site",
                "worker",
                "--loglevel=INFO",
                "--concurrency=2",
                "--without-mingle",
                "--without-gossip",
                "-n",
                node,
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while not app.control.ping(destination=[node], timeout=0.5):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"The Celery worker did not start:\n{log_path.read_text()[-3000:]}")
    yield process
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def wait_until(condition: Any, *, timeout: float = 10.0, interval: float = 0.1) -> None:
    """Wait for something asynchronous; fails the test when it has not happened by ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s: {condition.__doc__ or condition}")
        time.sleep(interval)


@pytest.fixture
def no_gc_pauses() -> Any:
    """For tests that bound the time of one operation (hostile input must not make work
    explode): a garbage-collector pause left over from earlier tests is not what they measure."""
    import gc

    gc.collect()
    gc.disable()
    yield
    gc.enable()

"""Shared plumbing of the automations tests: a real local webhook receiver, schemas, helpers.

The receiver is an ``http.server`` on 127.0.0.1 in this process: it checks every delivery's
Standard Webhooks signature with the ``standardwebhooks`` library (and the deprecated
``X-Engage-Signature``) and counts deliveries by run id. Delivering to loopback needs the
operator's permission, which the tests give through the environment, so a worker process started
by the tests gets it too.
"""

import json
import os
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import Client
from standardwebhooks import Webhook, WebhookVerificationError

from automations.models import Automation
from automations.services.automations import automation_create
from automations.services.webhooks import (
    LEGACY_SIGNATURE_HEADER,
    LEGACY_TIMESTAMP_HEADER,
    legacy_signature_valid,
)
from interactions.models import InteractionSchema, Tenant
from interactions.services.roles import MARKETER
from interactions.services.staff import staff_user_create
from tests.conftest import Persona
from tests.factories import make_schema

# Read by worker processes the tests start (they inherit the environment); the autouse fixture
# below gives this process the same values, whatever settings.py read at start-up.
TEST_SETTINGS = {
    "AUTOMATIONS_ALLOW_PRIVATE_WEBHOOKS": "true",
    "AUTOMATIONS_RETRY_BASE_SECONDS": "0.2",
    "AUTOMATIONS_LEASE_SECONDS": "5",
    "AUTOMATIONS_MAX_ATTEMPTS": "5",
}
for _name, _value in TEST_SETTINGS.items():
    os.environ.setdefault(_name, _value)


@pytest.fixture(autouse=True)
def _automations_settings(settings: Any) -> None:
    settings.AUTOMATIONS_ALLOW_PRIVATE_WEBHOOKS = True
    settings.AUTOMATIONS_RETRY_BASE_SECONDS = 0.2
    settings.AUTOMATIONS_LEASE_SECONDS = 5
    settings.AUTOMATIONS_MAX_ATTEMPTS = 5


PURCHASE_JSON_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "store": {"type": "string"},
        "amount": {"type": "number"},
        "items": {"type": "integer"},
        "member": {"type": "boolean"},
        "day": {"type": "string", "format": "date"},
        "at": {"type": "string", "format": "date-time"},
    },
}


@dataclass
class Delivery:
    path: str
    run_id: str
    signed: bool  # verified by the standardwebhooks library under one of the receiver's secrets
    legacy_signed: bool  # the deprecated X-Engage-Signature, keyed with one of them
    document: Any
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


def verified(secret: str, body: bytes, headers: dict[str, str]) -> bool:
    """Whether ``standardwebhooks`` accepts this delivery under ``secret``."""
    try:
        Webhook(secret).verify(body, headers)
    except (WebhookVerificationError, ValueError):
        return False
    return True


@dataclass
class Receiver:
    """What the receiver saw. ``secrets`` are the signing secrets it accepts; it answers 401 to a
    delivery that no Standard Webhooks signature under one of them verifies."""

    url: str
    secrets: set[str] = field(default_factory=set)
    deliveries: list[Delivery] = field(default_factory=list)
    # /flaky fails the first ``flaky_failures`` deliveries of each run id.
    flaky_failures: int = 3
    failed: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def successes(self, path: str = "/ok") -> list[Delivery]:
        with self.lock:
            return [d for d in self.deliveries if d.path == path]

    def run_ids(self, path: str = "/ok") -> Counter[str]:
        return Counter(d.run_id for d in self.successes(path))


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _answer(self, status: int, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self) -> None:
            self._answer(200)

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            path, _, query = self.path.partition("?")
            if path == "/redirect":
                self._answer(307, {"Location": query.removeprefix("to=")})
                return
            run_id = self.headers.get("Idempotency-Key", "")
            headers = dict(self.headers.items())
            signed = any(verified(secret, body, headers) for secret in receiver.secrets)
            legacy_signed = any(
                legacy_signature_valid(
                    secret=secret,
                    timestamp=self.headers.get(LEGACY_TIMESTAMP_HEADER, ""),
                    body=body,
                    received=self.headers.get(LEGACY_SIGNATURE_HEADER, ""),
                )
                for secret in receiver.secrets
            )
            with receiver.lock:
                if path == "/down":
                    status = 500
                elif path == "/flaky" and receiver.failed[run_id] < receiver.flaky_failures:
                    receiver.failed[run_id] += 1
                    status = 503
                else:
                    status = 200 if signed else 401
                if status == 200:
                    receiver.deliveries.append(
                        Delivery(
                            path, run_id, signed, legacy_signed, json.loads(body), headers, body
                        )
                    )
            self._answer(status)

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(Receiver(url="")))
    state = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}")
    server.RequestHandlerClass = _handler(state)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def purchase_schema(tenant: Tenant, schema_id: str = "purchase") -> InteractionSchema:
    return make_schema(tenant, schema_id=schema_id, json_schema=PURCHASE_JSON_SCHEMA)


def webhook_automation(
    tenant: Tenant, url: str, receiver: Receiver | None = None, **fields: Any
) -> Automation:
    """An active "new interaction" automation that posts to ``url`` (any schema by default)."""
    fields.setdefault("name", "Welcome")
    fields.setdefault("trigger", Automation.Trigger.NEW_INTERACTION)
    fields.setdefault("actions", [{"type": "webhook", "url": url}])
    automation = automation_create(tenant=tenant, **fields)
    if receiver is not None:
        receiver.secrets.add(automation.webhook_secret)
    return automation


@pytest.fixture
def marketer(alice: Persona) -> Client:
    """A marketer of tenant A, logged in to the pages."""
    user = staff_user_create(
        tenant=alice.tenant, username="mia", password="pw-12345678", role=MARKETER
    )
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def background(request: Any) -> None:
    """Where tasks run: a real worker process when REDIS_URL is set, else eagerly in-process."""
    if os.environ.get("REDIS_URL"):
        request.getfixturevalue("celery_worker")

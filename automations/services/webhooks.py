"""Webhook delivery: signing, and POSTing only to addresses that are allowed.

Deliveries are signed the Standard Webhooks way (https://www.standardwebhooks.com): ``webhook-id``
(the run id), ``webhook-timestamp`` (unix seconds) and ``webhook-signature``, one ``v1,<base64
HMAC-SHA256>`` of ``"{id}.{timestamp}.{body}"`` per secret in force, space-separated (two during a
rotation's grace period). Secrets are ``whsec_`` + base64 of the key bytes. The older
``X-Engage-Signature``/``X-Engage-Timestamp`` headers are still sent for one release (deprecated,
see the README), signed with the secret text as a string key.

The host is resolved here, every address it resolves to is checked, and the connection is made to
a checked address (with the original Host header and TLS server name), so a DNS answer that changes
between the check and the connect (rebinding) can't reach an internal service. Redirects are
followed by hand, each hop checked again. Which addresses are allowed is ``webhook_targets``'
business; the settings give the policy.

A service because it acts on the outside world (DNS, sockets, HTTP) and reads settings; it writes
no rows. What a run sends and how its failures are counted is ``services/actions.py``'s business;
the pure check of a URL's face is ``action_documents.url_problem``.
"""

import base64
import hashlib
import hmac
import http.client
import socket
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.utils import timezone

from automations.action_documents import url_problem
from automations.models import Automation
from automations.webhook_targets import AddressPolicy, address_problem

MAX_REDIRECTS = 3
MAX_RESPONSE_BYTES = 64 * 1024
ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
# Deprecated: sent for one more release beside the Standard Webhooks headers.
LEGACY_SIGNATURE_HEADER = "X-Engage-Signature"
LEGACY_TIMESTAMP_HEADER = "X-Engage-Timestamp"
RUN_ID_HEADER = "X-Engage-Run-Id"
IDEMPOTENCY_HEADER = "Idempotency-Key"
USER_AGENT = "engage-automations/1"
SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix of every secret, not a secret


class WebhookError(Exception):
    """A delivery that did not succeed; ``permanent`` ones are not worth retrying."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class AddressRefused(WebhookError):
    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=True)


@dataclass(frozen=True)
class SigningKeys:
    """The secrets a delivery is signed with: ``current``, ``previous`` too while a rotation's
    grace period lasts, and ``legacy``, the text that keys the deprecated header (the current
    secret unless the automation still has its secret from before Standard Webhooks)."""

    current: str
    previous: str | None = None
    legacy: str | None = None

    @property
    def in_force(self) -> list[str]:
        return [self.current, *([self.previous] if self.previous else [])]


def signing_keys(automation: Automation, *, now: datetime | None = None) -> SigningKeys:
    """The keys ``automation``'s deliveries are signed with at ``now`` (default: the present)."""
    now = now or timezone.now()
    expires = automation.previous_webhook_secret_expires_at
    in_grace = bool(automation.previous_webhook_secret) and expires is not None and expires > now
    return SigningKeys(
        current=automation.webhook_secret,
        previous=automation.previous_webhook_secret if in_grace else None,
        legacy=automation.legacy_webhook_secret or None,
    )


def secret_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_`` secret (base64 after the prefix, padding optional)."""
    encoded = secret.removeprefix(SECRET_PREFIX)
    return base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)


def standard_signature(*, secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """Standard Webhooks: ``v1,`` and the base64 HMAC-SHA256 of ``"{id}.{timestamp}.{body}"``."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    mac = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def standard_signatures(*, secrets: Sequence[str], msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value: one signature per secret, space-separated."""
    return " ".join(
        standard_signature(secret=secret, msg_id=msg_id, timestamp=timestamp, body=body)
        for secret in secrets
    )


def legacy_signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """Deprecated ``X-Engage-Signature``: ``v1=`` and the hex HMAC-SHA256 of
    ``"<timestamp>." + body`` keyed with the secret's text."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def legacy_signature_valid(*, secret: str, timestamp: str, body: bytes, received: str) -> bool:
    """For receivers (and tests) of the deprecated header: does ``received`` sign this body and
    timestamp?"""
    try:
        expected = legacy_signature(secret=secret, timestamp=int(timestamp), body=body)
    except ValueError:
        return False
    return hmac.compare_digest(expected, received)


def signature_headers(
    *, keys: SigningKeys, msg_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """The Standard Webhooks headers and the deprecated ones, for one delivery."""
    legacy_secret = keys.legacy or keys.current
    return {
        ID_HEADER: msg_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: standard_signatures(
            secrets=keys.in_force, msg_id=msg_id, timestamp=timestamp, body=body
        ),
        LEGACY_TIMESTAMP_HEADER: str(timestamp),
        LEGACY_SIGNATURE_HEADER: legacy_signature(
            secret=legacy_secret, timestamp=timestamp, body=body
        ),
    }


def webhook_policy() -> AddressPolicy:
    """The configured policy: private addresses allowed wholesale, or only the listed networks."""
    return AddressPolicy(
        allow_private=settings.AUTOMATIONS_ALLOW_PRIVATE_WEBHOOKS,
        allowed_networks=tuple(settings.AUTOMATIONS_WEBHOOK_ALLOWED_NETWORKS),
    )


def _resolve(host: str, port: int, *, policy: AddressPolicy) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise WebhookError(f"cannot resolve {host}: {error}") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    refused = [
        f"{address}: {problem}"
        for address in addresses
        if (problem := address_problem(address, policy=policy))
    ]
    if refused or not addresses:
        raise AddressRefused(f"{host} resolves to a refused address ({'; '.join(refused)})")
    return addresses


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to a checked address instead of resolving the host again."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.pinned_address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.pinned_address, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.pinned_address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.pinned_address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Delivery:
    status: int
    url: str


def _send_once(
    url: str,
    *,
    method: str,
    body: bytes | None,
    headers: dict[str, str],
    timeout: float,
    policy: AddressPolicy,
) -> tuple[int, str | None]:
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = _resolve(host, port, policy=policy)
    connection_class = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(host, port, address=addresses[0], timeout=timeout)
    try:
        connection.connect()
        assert connection.sock is not None  # noqa: S101 - connect() set it
        peer = str(connection.sock.getpeername()[0])
        if problem := address_problem(peer, policy=policy):
            raise AddressRefused(f"connected to a refused address ({peer}: {problem})")
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(MAX_RESPONSE_BYTES)
        return response.status, response.getheader("Location")
    except (OSError, http.client.HTTPException) as error:
        raise WebhookError(f"{type(error).__name__}: {error}") from None
    finally:
        connection.close()


def webhook_post(
    *,
    url: str,
    body: bytes,
    keys: SigningKeys,
    run_id: str,
    timeout: float,
    policy: AddressPolicy,
) -> Delivery:
    """POST ``body`` signed with ``keys``; returns on a 2xx answer, else raises WebhookError."""
    problem = url_problem(url)
    if problem:
        raise WebhookError(f"the URL {problem}", permanent=True)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        **signature_headers(keys=keys, msg_id=run_id, timestamp=timestamp, body=body),
        RUN_ID_HEADER: run_id,
        IDEMPOTENCY_HEADER: run_id,
    }
    method: str = "POST"
    payload: bytes | None = body
    for _ in range(MAX_REDIRECTS + 1):
        status, location = _send_once(
            url,
            method=method,
            body=payload,
            headers=headers,
            timeout=timeout,
            policy=policy,
        )
        if 200 <= status < 300:
            return Delivery(status=status, url=url)
        if status in (301, 302, 303, 307, 308) and location:
            url = urljoin(url, location)
            problem = url_problem(url)
            if problem:
                raise WebhookError(f"a redirect's URL {problem}", permanent=True)
            if status in (301, 302, 303):
                method, payload = "GET", None
                headers = {key: value for key, value in headers.items() if key != "Content-Type"}
            continue
        raise WebhookError(f"the target answered {status}")
    raise WebhookError(f"more than {MAX_REDIRECTS} redirects")

"""Webhook delivery: signing, and POSTing only to addresses that are allowed.

The host is resolved here, every address it resolves to is checked, and the connection is made to
a checked address (with the original Host header and TLS server name), so a DNS answer that changes
between the check and the connect (rebinding) can't reach an internal service. Redirects are
followed by hand, each hop checked again. Private, loopback, link-local, multicast and reserved
addresses are refused unless ``AUTOMATIONS_ALLOW_PRIVATE_WEBHOOKS`` is on or the address is in
``AUTOMATIONS_WEBHOOK_ALLOWED_NETWORKS``.

A service because it acts on the outside world (DNS, sockets, HTTP) and reads settings; it writes
no rows. What a run sends and how its failures are counted is ``services/actions.py``'s business;
the pure check of a URL's face is ``action_documents.url_problem``.
"""

import hashlib
import hmac
import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from django.conf import settings

from automations.action_documents import url_problem

MAX_REDIRECTS = 3
MAX_RESPONSE_BYTES = 64 * 1024
SIGNATURE_HEADER = "X-Engage-Signature"
TIMESTAMP_HEADER = "X-Engage-Timestamp"
RUN_ID_HEADER = "X-Engage-Run-Id"
IDEMPOTENCY_HEADER = "Idempotency-Key"
USER_AGENT = "engage-automations/1"


class WebhookError(Exception):
    """A delivery that did not succeed; ``permanent`` ones are not worth retrying."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class AddressRefused(WebhookError):
    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=True)


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """``v1=`` and the hex HMAC-SHA256 of ``"<timestamp>." + body`` under ``secret``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def signature_valid(*, secret: str, timestamp: str, body: bytes, received: str) -> bool:
    """For receivers (and tests): does ``received`` sign this body and timestamp?"""
    try:
        expected = signature(secret=secret, timestamp=int(timestamp), body=body)
    except ValueError:
        return False
    return hmac.compare_digest(expected, received)


@dataclass(frozen=True)
class AddressPolicy:
    """Which addresses webhooks may reach: public ones, plus all others when ``allow_private``,
    plus those in ``allowed_networks`` (e.g. one internal receiver)."""

    allow_private: bool = False
    allowed_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()


def webhook_policy() -> AddressPolicy:
    """The configured policy: private addresses allowed wholesale, or only the listed networks."""
    return AddressPolicy(
        allow_private=settings.AUTOMATIONS_ALLOW_PRIVATE_WEBHOOKS,
        allowed_networks=tuple(settings.AUTOMATIONS_WEBHOOK_ALLOWED_NETWORKS),
    )


def address_allowed(address: str, *, policy: AddressPolicy) -> bool:
    """Whether a webhook may connect to ``address``."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_unspecified or ip.is_multicast:
        return False
    if policy.allow_private or any(ip in network for network in policy.allowed_networks):
        return True
    return ip.is_global and not (
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved
    )


def _resolve(host: str, port: int, *, policy: AddressPolicy) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise WebhookError(f"cannot resolve {host}: {error}") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    refused = [address for address in addresses if not address_allowed(address, policy=policy)]
    if refused or not addresses:
        raise AddressRefused(f"{host} resolves to a refused address ({', '.join(refused)})")
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
        if not address_allowed(peer, policy=policy):
            raise AddressRefused(f"connected to a refused address ({peer})")
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
    *, url: str, body: bytes, secret: str, run_id: str, timeout: float, policy: AddressPolicy
) -> Delivery:
    """POST ``body`` signed under ``secret``; returns on a 2xx answer, else raises WebhookError."""
    problem = url_problem(url)
    if problem:
        raise WebhookError(f"the URL {problem}", permanent=True)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret=secret, timestamp=timestamp, body=body),
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

"""Pure: which IP addresses a webhook may reach, and why one may not.

Only globally routable unicast addresses are allowed by default. ``ipaddress``'s ``is_global`` is
the base, but addresses that carry an IPv4 address inside an IPv6 one are judged by the IPv4
address they lead to: IPv4-mapped (``::ffff:0:0/96``), 6to4 (``2002::/16``) and NAT64
(``64:ff9b::/96``), which ``is_global`` may call global even when they embed ``127.0.0.1``. Teredo
(``2001::/32``), local-use NAT64 (``64:ff9b:1::/48``) and IPv4-compatible (``::/96``) addresses
are refused outright. The operator can allow private addresses wholesale or network by network
(``AUTOMATIONS_ALLOW_PRIVATE_WEBHOOKS``, ``AUTOMATIONS_WEBHOOK_ALLOWED_NETWORKS``); unspecified
and multicast addresses are never allowed.

No settings, no DNS: the caller passes the policy in. The delivery code (``services/webhooks.py``)
checks every address a host resolves to and the one it connected to; saving an automation checks
the hosts written as IP addresses (names are resolved, and so checked, when sending only: an
answer at saving time would prove nothing about the one at sending time).
"""

import ipaddress
import socket
from dataclasses import dataclass

ALLOWED_NETWORKS_SETTING = "AUTOMATIONS_WEBHOOK_ALLOWED_NETWORKS"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
_TEREDO = ipaddress.IPv6Network("2001::/32")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


@dataclass(frozen=True)
class AddressPolicy:
    """Which addresses webhooks may reach: public ones, plus all others when ``allow_private``,
    plus those in ``allowed_networks`` (e.g. one internal receiver)."""

    allow_private: bool = False
    allowed_networks: tuple[Network, ...] = ()


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv4-mapped, 6to4 or NAT64 address leads to, or None."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _kind(ip: IPAddress) -> str | None:
    """What makes ``ip`` non-global ("a loopback address"), or None if it is global."""
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_private:
        return "a private address"
    if ip.is_reserved:
        return "a reserved address"
    if not ip.is_global:
        return "a non-public address"
    return None


def address_problem(address: str | IPAddress, *, policy: AddressPolicy) -> str | None:
    """Why a webhook may not connect to ``address`` ("is a loopback address"), or None."""
    ip = ipaddress.ip_address(address.split("%", 1)[0] if isinstance(address, str) else address)
    if ip.is_unspecified:
        return "is the unspecified address"
    if ip.is_multicast:
        return "is a multicast address"
    inner = embedded_ipv4(ip) if isinstance(ip, ipaddress.IPv6Address) else None
    if inner is not None and (inner.is_unspecified or inner.is_multicast):
        return f"leads to {inner}, which is not a unicast address"
    if policy.allow_private:
        return None
    candidates = (ip,) if inner is None else (ip, inner)
    if any(candidate in net for candidate in candidates for net in policy.allowed_networks):
        return None
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _TEREDO:
            return "is a Teredo address"
        if ip in _NAT64_LOCAL:
            return "is a local-use NAT64 address"
        if ip in _IPV4_COMPATIBLE and inner is None and not ip.is_loopback:
            return "is an IPv4-compatible address"
    if inner is not None:
        # Judged by where it leads only: whether ``is_global`` counts 6to4 as global changed
        # between Python versions.
        kind = _kind(inner)
        return f"leads to {inner}, {kind}" if kind else None
    kind = _kind(ip)
    return f"is {kind}" if kind else None


def address_allowed(address: str | IPAddress, *, policy: AddressPolicy) -> bool:
    """Whether a webhook may connect to ``address``."""
    return address_problem(address, policy=policy) is None


def literal_address(host: str) -> IPAddress | None:
    """``host`` as an IP address if it is written as one, including the legacy IPv4 spellings
    the resolver accepts (``2130706433``, ``0x7f.1``); None for a name. Parses only: no DNS."""
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    if not host or not all(char in "0123456789abcdefxABCDEFX." for char in host):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def host_problem(host: str, *, policy: AddressPolicy) -> str | None:
    """Why a webhook URL's host, written as an IP address, may not be a target; None for a
    name (checked when sending) or an allowed address. The sentence names the setting."""
    ip = literal_address(host)
    if ip is None:
        return None
    problem = address_problem(ip, policy=policy)
    if problem is None:
        return None
    return (
        f"must not point at {ip}: it {problem}; webhooks reach only public addresses "
        f"unless the network is listed in {ALLOWED_NETWORKS_SETTING}"
    )

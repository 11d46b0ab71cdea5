"""Which addresses a webhook may reach (pure): public unicast only, IPv6 forms that carry an IPv4
address judged by that address, and hosts written as addresses refused when saving, with a
sentence naming the setting that allows private targets."""

import ipaddress

import pytest

from automations.webhook_targets import (
    AddressPolicy,
    address_allowed,
    address_problem,
    host_problem,
    literal_address,
)

NO_PRIVATE = AddressPolicy()


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("8.8.8.8", None),
        ("2606:4700::1111", None),
        ("127.0.0.1", "is a loopback address"),
        ("::1", "is a loopback address"),
        ("10.1.2.3", "is a private address"),
        ("fd00::1", "is a private address"),
        ("169.254.169.254", "is a link-local address"),
        ("fe80::1", "is a link-local address"),
        ("100.64.0.1", "is a non-public address"),  # shared (carrier-grade NAT)
        ("192.0.2.1", "is a private address"),  # documentation
        ("240.0.0.1", "is a private address"),
        ("0.0.0.0", "is the unspecified address"),  # noqa: S104 - an address checked, not bound
        ("224.0.0.1", "is a multicast address"),
        ("ff02::1", "is a multicast address"),
        ("::ffff:127.0.0.1", "leads to 127.0.0.1, a loopback address"),
        ("::ffff:10.0.0.1", "leads to 10.0.0.1, a private address"),
        ("::ffff:8.8.8.8", None),
        ("2002:7f00:1::1", "leads to 127.0.0.1, a loopback address"),  # 6to4
        ("2002:a9fe:a9fe::1", "leads to 169.254.169.254, a link-local address"),
        ("2002:808:808::1", None),
        ("64:ff9b::7f00:1", "leads to 127.0.0.1, a loopback address"),  # NAT64
        ("64:ff9b::a00:1", "leads to 10.0.0.1, a private address"),
        ("64:ff9b::808:808", None),
        ("64:ff9b:1::808:808", "is a local-use NAT64 address"),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "is a Teredo address"),
        ("::8.8.8.8", "is an IPv4-compatible address"),
    ],
)
def test_only_global_unicast_addresses_are_allowed_by_default(
    address: str, problem: str | None
) -> None:
    assert address_problem(address, policy=NO_PRIVATE) == problem


def test_an_allowed_network_lets_its_addresses_in_also_when_embedded() -> None:
    policy = AddressPolicy(allowed_networks=(ipaddress.ip_network("10.1.0.0/16"),))
    assert address_allowed("10.1.2.3", policy=policy)
    assert address_allowed("::ffff:10.1.2.3", policy=policy)
    assert address_allowed("2002:a01:203::1", policy=policy)
    assert not address_allowed("10.2.0.1", policy=policy)
    assert not address_allowed("0.0.0.0", policy=policy)  # noqa: S104 - never allowed


def test_allowing_private_addresses_still_refuses_unspecified_and_multicast() -> None:
    policy = AddressPolicy(allow_private=True)
    assert address_allowed("127.0.0.1", policy=policy)
    assert address_allowed("2001:0:4136:e378:8000:63bf:3fff:fdd2", policy=policy)
    assert not address_allowed("::", policy=policy)
    assert not address_allowed("::ffff:224.0.0.1", policy=policy)


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("::1", "::1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("example.com", None),
        ("cafe.be", None),
        ("localhost", None),
    ],
)
def test_it_reads_hosts_written_as_addresses_as_the_resolver_would(
    host: str, address: str | None
) -> None:
    found = literal_address(host)
    assert (str(found) if found else None) == address


def test_a_refused_host_s_sentence_names_the_setting_and_names_pass() -> None:
    assert host_problem("2130706433", policy=NO_PRIVATE) == (
        "must not point at 127.0.0.1: it is a loopback address; webhooks reach only public "
        "addresses unless the network is listed in AUTOMATIONS_WEBHOOK_ALLOWED_NETWORKS"
    )
    assert host_problem("8.8.8.8", policy=NO_PRIVATE) is None
    # Names are resolved, and so checked, when sending.
    assert host_problem("localhost", policy=NO_PRIVATE) is None

"""The typed environment readers of ``engage_site/env.py``: defaults when unset, typed values when
set, and ImproperlyConfigured naming the variable on a value they can't read."""

import ipaddress

import pytest
from django.core.exceptions import ImproperlyConfigured

from engage_site.env import env_float, env_networks

NAME = "ENGAGE_TEST_SETTING"


def test_env_float_gives_the_default_when_the_variable_is_unset_or_empty(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(NAME, raising=False)
    assert env_float(NAME, 10.0) == 10.0
    monkeypatch.setenv(NAME, "  ")
    assert env_float(NAME, 10.0) == 10.0


def test_env_float_reads_a_whole_or_decimal_number(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NAME, "0.2")
    assert env_float(NAME, 30.0) == 0.2
    monkeypatch.setenv(NAME, " 30 ")
    assert env_float(NAME, 10.0) == 30.0


@pytest.mark.parametrize("value", ["ten", "1,5", "nan", "inf"])
def test_env_float_refuses_what_is_not_a_finite_number(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv(NAME, value)
    with pytest.raises(ImproperlyConfigured, match=f"^{NAME} must be a .*number, not '{value}'$"):
        env_float(NAME, 10.0)


def test_env_float_refuses_a_number_below_the_minimum(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NAME, "-1")
    with pytest.raises(ImproperlyConfigured, match=f"^{NAME} must be at least 0.0, not -1.0$"):
        env_float(NAME, 10.0)
    monkeypatch.setenv(NAME, "0.5")
    with pytest.raises(ImproperlyConfigured, match=f"^{NAME} must be at least 1.0, not 0.5$"):
        env_float(NAME, 10.0, minimum=1.0)


def test_env_networks_gives_the_default_when_the_variable_is_unset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(NAME, raising=False)
    assert env_networks(NAME) == ()


def test_env_networks_reads_comma_separated_cidr_networks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NAME, "127.0.0.1/32, 10.1.2.3/24,,fd00::/8")
    assert env_networks(NAME) == (
        ipaddress.ip_network("127.0.0.1/32"),
        ipaddress.ip_network("10.1.2.0/24"),
        ipaddress.ip_network("fd00::/8"),
    )


def test_env_networks_refuses_what_is_not_a_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NAME, "10.0.0.0/8,intranet")
    with pytest.raises(
        ImproperlyConfigured,
        match=f"^{NAME} must be comma-separated CIDR networks, not 'intranet'$",
    ):
        env_networks(NAME)

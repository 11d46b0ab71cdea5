"""The app's settings, read from Django settings when set there and from the environment
otherwise (so a worker process started with only environment variables agrees)."""

import ipaddress
from typing import Any

from django.conf import settings

from automations.webhooks import AddressPolicy
from engage_site.env import env_bool, env_int, env_list, env_str


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def allow_private_webhooks() -> bool:
    """Deliver webhooks to private, loopback and link-local addresses (tests, closed networks)."""
    return bool(
        _setting(
            "AUTOMATIONS_ALLOW_PRIVATE_WEBHOOKS",
            env_bool("AUTOMATIONS_ALLOW_PRIVATE_WEBHOOKS", False),
        )
    )


def max_attempts() -> int:
    """Tries per action before the run ends failed."""
    return int(
        _setting("AUTOMATIONS_MAX_ATTEMPTS", env_int("AUTOMATIONS_MAX_ATTEMPTS", 5, minimum=1))
    )


def retry_base_seconds() -> float:
    """The first retry's delay; each later one doubles it (capped at an hour)."""
    return float(
        _setting("AUTOMATIONS_RETRY_BASE_SECONDS", env_str("AUTOMATIONS_RETRY_BASE_SECONDS", "30"))
    )


def lease_seconds() -> int:
    """How long a dispatched run may go unfinished before the relay hands it out again."""
    return int(
        _setting("AUTOMATIONS_LEASE_SECONDS", env_int("AUTOMATIONS_LEASE_SECONDS", 120, minimum=1))
    )


def webhook_timeout_seconds() -> float:
    return float(
        _setting(
            "AUTOMATIONS_WEBHOOK_TIMEOUT_SECONDS",
            env_str("AUTOMATIONS_WEBHOOK_TIMEOUT_SECONDS", "10"),
        )
    )


def run_retention_days() -> int:
    """How long attempt logs (and finished "every time" runs) are kept."""
    return int(
        _setting(
            "AUTOMATIONS_RUN_RETENTION_DAYS",
            env_int("AUTOMATIONS_RUN_RETENTION_DAYS", 90, minimum=1),
        )
    )


def email_from() -> str:
    return str(
        _setting("AUTOMATIONS_EMAIL_FROM", env_str("AUTOMATIONS_EMAIL_FROM", ""))
        or settings.DEFAULT_FROM_EMAIL
    )


def webhook_policy() -> AddressPolicy:
    """Private addresses allowed wholesale, or only the networks listed in
    ``AUTOMATIONS_WEBHOOK_ALLOWED_NETWORKS`` (CIDR, comma-separated)."""
    networks = _setting(
        "AUTOMATIONS_WEBHOOK_ALLOWED_NETWORKS", env_list("AUTOMATIONS_WEBHOOK_ALLOWED_NETWORKS", [])
    )
    return AddressPolicy(
        allow_private=allow_private_webhooks(),
        allowed_networks=tuple(ipaddress.ip_network(network, strict=False) for network in networks),
    )

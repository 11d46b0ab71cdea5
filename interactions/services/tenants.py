from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from interactions.models import ApiKey, Tenant
from interactions.selectors.tenants import api_keys_forget
from interactions.services import api_keys
from interactions.services.contact_activity import contact_activity_rebuild

# How stale last_used_at may get before a request refreshes it: one write per key per window.
_LAST_USED_PRECISION = timedelta(minutes=5)


@transaction.atomic
def tenant_create(*, slug: str, name: str = "", timezone_name: str = "UTC") -> Tenant:
    tenant = Tenant(slug=slug, name=name or slug, timezone=timezone_name)
    tenant.full_clean()
    tenant.save()
    return tenant


@transaction.atomic
def tenant_update(*, tenant: Tenant, changed: list[str]) -> Tenant:
    """Save the fields named in ``changed`` (already set on ``tenant``). A new time zone recounts
    the contact card's day and month rows, which are the tenant's local days (in this
    transaction: it reads every interaction of the tenant once)."""
    tenant.full_clean()
    tenant.save(update_fields=changed)
    if "timezone" in changed:
        contact_activity_rebuild(tenant=tenant)
    return tenant


@transaction.atomic
def api_key_create(
    *, tenant: Tenant, name: str = "", rate_limit_per_second: int | None = None
) -> tuple[ApiKey, str]:
    """A new key for ``tenant``; returns the row and the key itself, which is never stored."""
    new = api_keys.generate_key()
    api_key = ApiKey(
        tenant=tenant,
        name=name,
        prefix=new.prefix,
        secret_hash=new.secret_hash,
        rate_limit_per_second=rate_limit_per_second,
    )
    api_key.full_clean()
    api_key.save()
    return api_key, new.key


def api_key_revoke(*, api_key: ApiKey) -> None:
    """Revoke ``api_key``: this process refuses it at once, the other web processes within
    ``API_KEY_CACHE_SECONDS`` (their cache of checked keys, ``interactions.selectors.tenants``)."""
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
    api_keys_forget()


def api_key_rotate(*, api_key: ApiKey) -> tuple[ApiKey, str]:
    """A new key like ``api_key``; the old one keeps working until it is revoked."""
    return api_key_create(
        tenant=api_key.tenant,
        name=api_key.name,
        rate_limit_per_second=api_key.rate_limit_per_second,
    )


def api_key_mark_used(*, api_key: ApiKey) -> None:
    """Refresh ``last_used_at`` at most once per key per ``_LAST_USED_PRECISION`` and process: the
    key object is the cached one (``api_key_authenticate``), so the time written stays on it."""
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at > _LAST_USED_PRECISION:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now

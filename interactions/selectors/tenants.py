"""Reads about tenants and their API keys."""

from engage_site.db import one_or_none
from interactions.models import ApiKey
from interactions.services import api_keys


def api_key_authenticate(*, key: str) -> ApiKey | None:
    """The active key ``key`` is, with its tenant, or None."""
    prefix = api_keys.key_prefix(key)
    if prefix is None:
        return None
    api_key = one_or_none(
        ApiKey.objects.select_related("tenant").filter(prefix=prefix, revoked_at__isnull=True)
    )
    if api_key is None or not api_keys.key_matches(key, api_key.secret_hash):
        return None
    return api_key

"""Reads about tenants and their API keys.

Authenticated keys are kept in a small in-process cache for ``API_KEY_CACHE_SECONDS`` (default 5):
looking a key up was a fifth of the cost of an ingest request. That is the revocation delay
across processes: a key revoked (or a key or tenant edited) in one process is still accepted as it
was by the other web processes for up to that long. The process that revokes or saves forgets its
cached keys at once (``api_keys_forget``, also run on every save or delete of a key or a tenant).
``API_KEY_CACHE_SECONDS=0`` turns the cache off.
"""

import threading
import time
from collections import OrderedDict
from typing import Any

from django.conf import settings
from django.db.models.signals import post_delete, post_save

from engage_site.db import one_or_none
from interactions.models import ApiKey, Tenant
from interactions.services import api_keys

# Keys seen by one process; past this many, the least recently used is dropped.
_CACHE_SIZE = 1024
# SHA-256 of the presented key -> (monotonic expiry, the key with its tenant).
_cache: "OrderedDict[str, tuple[float, ApiKey]]" = OrderedDict()
_lock = threading.Lock()


def api_key_authenticate(*, key: str) -> ApiKey | None:
    """The active key ``key`` is, with its tenant, or None.

    May answer from the in-process cache (see the module's docstring): a revoked key keeps working
    in other processes for up to ``API_KEY_CACHE_SECONDS``.
    """
    prefix = api_keys.key_prefix(key)
    if prefix is None:
        return None
    digest = api_keys.hash_key(key)
    seconds = float(settings.API_KEY_CACHE_SECONDS)
    if seconds > 0:
        with _lock:
            hit = _cache.get(digest)
            if hit is not None and hit[0] > time.monotonic():
                _cache.move_to_end(digest)
                return hit[1]
    api_key = one_or_none(
        ApiKey.objects.select_related("tenant").filter(prefix=prefix, revoked_at__isnull=True)
    )
    if api_key is None or not api_keys.key_matches(key, api_key.secret_hash):
        return None
    if seconds > 0:
        with _lock:
            _cache[digest] = (time.monotonic() + seconds, api_key)
            _cache.move_to_end(digest)
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
    return api_key


def api_keys_forget(**_: Any) -> None:
    """Drop every cached key in this process (after a revocation, or an edit of keys or tenants)."""
    with _lock:
        _cache.clear()


for _model in (ApiKey, Tenant):
    post_save.connect(api_keys_forget, sender=_model, dispatch_uid=f"api-keys-forget-{_model}")
    post_delete.connect(api_keys_forget, sender=_model, dispatch_uid=f"api-keys-forget-d-{_model}")

"""Per-key rate limits: a fixed one-second window counted in the shared cache.

Every request counts against the key's request rate (``ApiKeyRateThrottle``); the items of a batch
also count against the key's item rate (``items_admit``), so that a batch is one request but not a
way around the rate at which a key may write.

A counter per key and second costs one cache round trip, where DRF's SimpleRateThrottle would read
and write a list of up to N timestamps. When the cache (Redis) is down, the limiter fails open for a
few seconds instead of failing or stalling requests, and says so in the log.
"""

import logging
import math
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from engage_site.api.exceptions import TooManyRequests
from interactions.models import ApiKey

logger = logging.getLogger(__name__)

_CACHE_DOWN_BACKOFF_SECONDS = 5.0
_cache_down_until = 0.0


def _limit_for(api_key: ApiKey) -> int:
    if api_key.rate_limit_per_second is not None:
        return api_key.rate_limit_per_second
    return int(settings.API_RATE_LIMIT_PER_SECOND)


def _count_request(bucket: str, amount: int = 1) -> int | None:
    """The window's count with this request's ``amount`` added, or None when the cache can't be
    reached."""
    global _cache_down_until
    if time.monotonic() < _cache_down_until:
        return None
    try:
        if cache.add(bucket, amount, timeout=2):
            return amount
        return int(cache.incr(bucket, amount))
    except ValueError:  # the window expired between add and incr
        cache.set(bucket, amount, timeout=2)
        return amount
    except Exception:
        _cache_down_until = time.monotonic() + _CACHE_DOWN_BACKOFF_SECONDS
        logger.warning("Rate limiting is off for %ss: the cache is unreachable", 5, exc_info=True)
        return None


class ApiKeyRateThrottle(BaseThrottle):
    def allow_request(self, request: Request, view: Any) -> bool:
        api_key = request.auth
        if not isinstance(api_key, ApiKey):
            return True
        limit = _limit_for(api_key)
        if limit == 0:
            return True
        now = time.time()
        self._window_end = int(now) + 1 - now
        count = _count_request(f"ratelimit:{api_key.pk}:{int(now)}")
        return count is None or count <= limit

    def wait(self) -> float:
        return max(1.0, getattr(self, "_window_end", 1.0))


def items_admit(*, api_key: ApiKey, count: int) -> None:
    """Count ``count`` items against the key's item rate (``API_ITEM_RATE_LIMIT_PER_SECOND``, 0 for
    none, and none for a key whose request rate is unlimited); 429 TooManyRequests when they would
    go over it, and then they are not counted."""
    limit = int(settings.API_ITEM_RATE_LIMIT_PER_SECOND)
    if limit == 0 or api_key.rate_limit_per_second == 0 or count == 0:
        return
    now = time.time()
    bucket = f"itemrate:{api_key.pk}:{int(now)}"
    total = _count_request(bucket, count)
    if total is None or total <= limit:
        return
    try:
        cache.decr(bucket, count)  # refused: its items don't take the room of later batches
    except Exception:
        logger.warning("Could not give back refused items to the window %s", bucket, exc_info=True)
    wait = max(1, math.ceil(int(now) + 1 - now))
    raise TooManyRequests(
        f"Too many items for this API key: at most {limit} a second; retry after the time in "
        "Retry-After.",
        headers={"Retry-After": str(wait)},
    )

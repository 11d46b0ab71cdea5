"""Per-key rate limit: a fixed one-second window counted in the shared cache.

A counter per key and second costs one cache round trip, where DRF's SimpleRateThrottle would read
and write a list of up to N timestamps. When the cache (Redis) is down, the limiter fails open for a
few seconds instead of failing or stalling requests, and says so in the log.
"""

import logging
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from interactions.models import ApiKey

logger = logging.getLogger(__name__)

_CACHE_DOWN_BACKOFF_SECONDS = 5.0
_cache_down_until = 0.0


def _limit_for(api_key: ApiKey) -> int:
    if api_key.rate_limit_per_second is not None:
        return api_key.rate_limit_per_second
    return int(settings.API_RATE_LIMIT_PER_SECOND)


def _count_request(bucket: str) -> int | None:
    """This request's number in its window, or None when the cache can't be reached."""
    global _cache_down_until
    if time.monotonic() < _cache_down_until:
        return None
    try:
        if cache.add(bucket, 1, timeout=2):
            return 1
        return int(cache.incr(bucket))
    except ValueError:  # the window expired between add and incr
        cache.set(bucket, 1, timeout=2)
        return 1
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

"""Per-user rate limiting (429 + Retry-After), counted where every worker and instance
sees the same numbers: Redis (REDIS_URL); without it, this process's cache (dev only)."""
import functools
import logging
import time
from typing import Any

import redis as redis_py
from django.conf import settings
from django.core.cache import cache
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from .database.outages import Outage
from .rates import parse_rate

logger = logging.getLogger(__name__)
# Per process: while Redis is failing, the limiter does not try it for REDIS_RETRY_SECONDS
# (requests are allowed), so an outage costs one timeout per process per pause, not one
# per request; and it is logged once, not with a traceback per request.
redis = Outage("Rate limiter's Redis", logger)

# One round trip per request (EVALSHA), atomic in Redis: count, and start the window's
# expiry with its first request. Django's cache API needs three (add, then incr as
# EXISTS + INCRBY).
COUNT_IN_WINDOW = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""


@functools.cache
def _counter(url: str, timeout: float) -> Any:
    """The Lua script bound to a client of `url` (one connection pool per process and URL).
    redis-py retries a timed-out call by default: one try, short."""
    client = redis_py.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout, retry=None)
    return client.register_script(COUNT_IN_WINDOW)


def count_request(key: str, period: int) -> int:
    """This window's count for `key`, this request included."""
    if not settings.REDIS_URL:
        cache.add(key, 0, timeout=period + 1)
        return cache.incr(key)
    count = _counter(settings.REDIS_URL, settings.REDIS_TIMEOUT_SECONDS)
    return int(count(keys=[key], args=[period + 1]))


class SubjectRateThrottle(BaseThrottle):
    """At most RATE_LIMIT requests per token subject per fixed window.

    A fixed window needs one atomic increment per request, where DRF's sliding window
    rewrites a list of timestamps (racy across workers and O(n) per request)."""

    def __init__(self) -> None:
        self.retry_after = 0

    def allow_request(self, request: Request, view: Any) -> bool:  # DRF imports us from views.py
        limit = parse_rate(settings.RATE_LIMIT)
        if limit is None or not getattr(request.user, "is_authenticated", False):
            return True
        allowed, period = limit
        now = time.time()
        redis.retry_after = settings.REDIS_RETRY_SECONDS  # read when used, not at import
        if redis.skip():
            return True
        try:
            count = count_request(f"ratelimit:{request.user.id}:{int(now // period)}", period)
        except Exception as exc:  # the limiter failing must not take the API down with it
            redis.failed(exc)
            return True
        redis.answered()
        self.retry_after = max(1, int(period - now % period + 0.999))
        return count <= allowed

    def wait(self) -> float:
        return self.retry_after

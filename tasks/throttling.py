"""Per-user rate limiting (429 + Retry-After), counted where every worker and instance
sees the same numbers: Redis, through Django's cache."""
import logging
import time
from typing import Any

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
redis = Outage("Rate limiter's Redis", logger, retry_after=settings.REDIS_RETRY_SECONDS)


class SubjectRateThrottle(BaseThrottle):
    """At most RATE_LIMIT requests per token subject per fixed window.

    A fixed window needs one atomic INCR per request, where DRF's sliding window
    rewrites a list of timestamps (racy across workers and O(n) per request)."""

    def __init__(self) -> None:
        self.retry_after = 0

    def allow_request(self, request: Request, view: Any) -> bool:  # DRF imports us from views.py
        limit = parse_rate(settings.RATE_LIMIT)
        if limit is None or not getattr(request.user, "is_authenticated", False):
            return True
        allowed, period = limit
        now = time.time()
        key = f"ratelimit:{request.user.id}:{int(now // period)}"
        if redis.skip():
            return True
        try:
            cache.add(key, 0, timeout=period + 1)
            count = cache.incr(key)
        except Exception as exc:  # the limiter failing must not take the API down with it
            redis.failed(exc)
            return True
        redis.answered()
        self.retry_after = max(1, int(period - now % period + 0.999))
        return count <= allowed

    def wait(self) -> float:
        return self.retry_after

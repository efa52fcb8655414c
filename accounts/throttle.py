"""Sign-in throttling: attempts per client address and per e-mail address, counted in
PostgreSQL so that every worker and instance sees the same numbers.

Why not django-axes, which the admin uses: axes applies one failure limit to every
combination of its lockout parameters, so the address and the account cannot have
different limits, and an account locked by failures from one address is locked for its
owner everywhere, which is exactly what a login storm from one address must not do. Axes
also counts a failure after the password check, so parallel requests all pass its check
before the first failure is recorded. Here an attempt is counted *before* the hasher
runs, in one atomic upsert: N parallel requests see N distinct counts, and the limit
holds exactly. A successful sign-in hands its address attempt back and clears the
account's count. Since the address limit is below the account limit, one address alone
can never throttle an account for its owner at another address.
"""
import math
import random

from django.conf import settings
from django.db.models import F
from rest_framework.exceptions import Throttled
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from tasks import sql

from .models import SignInCounter

TABLE = sql.table(SignInCounter)
# One fixed window per key: an expired window starts over at 1 with this attempt.
COUNT = f"""
INSERT INTO {TABLE} AS c (key, window_start, attempts) VALUES (%(key)s, statement_timestamp(), 1)
ON CONFLICT (key) DO UPDATE SET
    attempts = CASE WHEN c.window_start <= statement_timestamp() - make_interval(secs => %(window)s)
                    THEN 1 ELSE c.attempts + 1 END,
    window_start = CASE WHEN c.window_start <= statement_timestamp() - make_interval(secs => %(window)s)
                        THEN statement_timestamp() ELSE c.window_start END
RETURNING attempts, extract(epoch FROM c.window_start + make_interval(secs => %(window)s) - statement_timestamp())
"""
PRUNE = f"DELETE FROM {TABLE} WHERE window_start < statement_timestamp() - make_interval(secs => %(window)s)"
PRUNE_ONE_IN = 200  # expired rows are deleted now and then, by a counting request
MESSAGES = {"login": "Too many sign-in attempts.", "reset": "Too many password reset requests.",
            "register": "Too many sign-ups from this address."}


def client_address(request: Request) -> str:
    """DRF's rule (REST_FRAMEWORK NUM_PROXIES): X-Forwarded-For as far as trusted proxies set it."""
    return BaseThrottle().get_ident(request)


def _count(key: str) -> tuple[int, float]:
    window = settings.LOGIN_WINDOW_SECONDS
    if random.randrange(PRUNE_ONE_IN) == 0:
        sql.execute(PRUNE, {"window": window})
    attempts, seconds_left = sql.execute_one(COUNT, {"key": key, "window": window})
    return attempts, float(seconds_left)


class SignInThrottle:
    """Count one attempt for (address, e-mail) or raise Throttled (429 + Retry-After)."""

    def __init__(self, request: Request, email: str, scope: str = "login") -> None:
        # A scope per route: reset mails asked for do not use up sign-in attempts.
        self.message = MESSAGES[scope]
        self.address = client_address(request)
        self.address_key = f"{scope}:address:{self.address}"[:320]
        self.account_key = f"{scope}:account:{email}"[:320]

    def attempt(self) -> None:
        # The address first: an address over its limit adds nothing to the account's count.
        keys = [(self.address_key, settings.LOGIN_ADDRESS_LIMIT), (self.account_key, settings.LOGIN_ACCOUNT_LIMIT)]
        if self.address in settings.FRONTEND_SERVER_ADDRESSES:
            keys = keys[1:]  # every visitor of the frontend shares this address
        for key, limit in keys:
            attempts, seconds_left = _count(key)
            if attempts > limit:
                raise Throttled(wait=max(1, math.ceil(seconds_left)), detail=self.message)

    def succeeded(self) -> None:
        SignInCounter.objects.filter(key=self.account_key).delete()
        SignInCounter.objects.filter(key=self.address_key, attempts__gt=0).update(attempts=F("attempts") - 1)

"""The owner directory, filled from the claims of verified tokens without a write per request.

Each process remembers (bounded, least recently used first out) what it last wrote for a
subject and writes again only when the `email`/`name` claims differ or a day has passed.
Processes do not share that memory: two of them disagreeing costs one harmless upsert.
"""
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from django.db import DatabaseError, InterfaceError, OperationalError, transaction

from .models import MAX_SUBJECT_LENGTH, Owner

logger = logging.getLogger(__name__)

MAX_REMEMBERED = 10_000
REFRESH_SECONDS = 24 * 60 * 60

_written: "OrderedDict[str, tuple[tuple[str, str], float]]" = OrderedDict()
_lock = threading.Lock()


def _claim(claims: Mapping[str, Any], name: str) -> str:
    # A claim of the wrong type is ignored rather than stored as its repr.
    value = claims.get(name)
    return value[:MAX_SUBJECT_LENGTH] if isinstance(value, str) else ""


def record_owner(claims: Mapping[str, Any]) -> None:
    """Upsert the token's subject into the directory when this process has not lately."""
    sub = claims["sub"]
    seen = (_claim(claims, "email"), _claim(claims, "name"))
    now = time.monotonic()
    with _lock:
        last = _written.get(sub)
        if last is not None and last[0] == seen and now - last[1] < REFRESH_SECONDS:
            _written.move_to_end(sub)
            return
    try:
        # A savepoint when inside a transaction: a failure here must not poison the request's.
        with transaction.atomic():
            Owner.objects.bulk_create(
                [Owner(sub=sub, email=seen[0], name=seen[1])],
                update_conflicts=True,
                unique_fields=["sub"],
                update_fields=["email", "name", "last_seen"],
            )
    except (OperationalError, InterfaceError):
        # The database is unreachable or stuck: the request cannot succeed either, so
        # fail now (503) rather than wait out a second timeout in the view.
        raise
    except DatabaseError:
        # The directory is a convenience for support staff; the request goes on.
        logger.warning("Could not record the owner directory entry", exc_info=True)
        return
    with _lock:
        _written[sub] = (seen, now)
        _written.move_to_end(sub)
        while len(_written) > MAX_REMEMBERED:
            _written.popitem(last=False)


def forget_owner(sub: str | None = None) -> None:
    """Drop this process's memory of `sub` (or of everyone), so the next token writes."""
    with _lock:
        if sub is None:
            _written.clear()
        else:
            _written.pop(sub, None)

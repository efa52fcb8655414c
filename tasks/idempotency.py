"""Idempotency-Key on the create routes: a retried POST answers what the first one did.

One transaction per keyed request, in this order:

1. `pg_try_advisory_xact_lock(hash(user, key))`: held by another transaction means that
   request is still running, so this one is a 409 at once (no waiting on a worker).
2. The stored record of that key, if younger than 24 hours: the same request gets the
   stored answer again (`Idempotent-Replayed: true`), another request is a 422.
3. Otherwise the view creates, and the answer is stored in the same transaction: an
   acknowledged create always has its record, and a crash leaves neither (the lock is
   the transaction's, so it is released by the rollback too). Transaction-scoped locks
   work behind PgBouncer in transaction mode; session locks would not.

Only successful answers are stored: every error is raised, which rolls the transaction
back, and an error created nothing, so running the retry again is safe and answers the
current truth (a 503 or a 409 must not stick for a day).
"""
import functools
import hashlib
import re
from collections.abc import Callable
from typing import Any

import orjson
from django.db import transaction
from rest_framework.request import Request
from rest_framework.response import Response

from .exceptions import Conflict, RequestValidationError
from .models import MAX_IDEMPOTENCY_KEY_LENGTH, IdempotencyRecord
from .sql import cursor, execute, table

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_PATTERN = re.compile(r"[\x20-\x7e]+")  # printable ASCII, space included
TTL = "24 hours"
# Never stored: the renderer sets it, and a replay sends the same bytes as JSON again.
UNSTORED_HEADERS = {"content-type", "content-length", "vary", "allow"}


def request_key(request: Request) -> str | None:
    """The request's Idempotency-Key, None without one; 422 when it is not 1-255 printable ASCII."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    problem = (
        ("string_too_short", "String should have at least 1 character") if not key else
        ("string_too_long", f"String should have at most {MAX_IDEMPOTENCY_KEY_LENGTH} characters") if len(key) > MAX_IDEMPOTENCY_KEY_LENGTH else
        None if KEY_PATTERN.fullmatch(key) else
        ("string_pattern_mismatch", "String should contain only printable ASCII characters")
    )
    if problem:
        raise RequestValidationError.at(["header", HEADER], problem[1], problem[0])
    return key


def fingerprint(request: Request) -> bytes:
    """What makes two requests "the same": method, route and the body as parsed JSON (key
    order and whitespace do not count; any value that differs does)."""
    route = request.resolver_match.route if request.resolver_match else request.path
    body = orjson.dumps(request.data, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(b"\n".join([request.method.encode(), route.encode(), body])).digest()


def lock_id(user_id: str, key: str) -> int:
    """A signed 64-bit advisory lock key for (user, key); the NUL separator keeps
    ("a", "bc") and ("ab", "c") apart."""
    digest = hashlib.sha256(f"idempotency\0{user_id}\0{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def run_once(request: Request, user_id: str, key: str, create: Callable[[], Response]) -> Response:
    """Answer a keyed POST: replay its stored answer, refuse it, or run `create` and store."""
    digest = fingerprint(request)  # parses the body first: 400/413/415 come before 409/422
    with transaction.atomic(), cursor() as keyed:
        # One statement: its snapshot predates the lock, so a record committed in between
        # can be missed here; save() then finds it and refuses (409), never a second create.
        keyed.execute(
            f"SELECT pg_try_advisory_xact_lock(%s), r.fingerprint, r.status, r.headers, r.body "
            f"FROM (SELECT) one LEFT JOIN {table(IdempotencyRecord)} r ON r.user_id = %s AND r.key = %s "
            f"AND r.created_at > STATEMENT_TIMESTAMP() - INTERVAL '{TTL}'",
            [lock_id(user_id, key), user_id, key],
        )
        locked, stored_digest, status, headers, body = keyed.fetchone()
        if not locked:
            raise Conflict(f"A request with this {HEADER} is still in progress; retry shortly")
        if stored_digest is not None:
            return _replay(bytes(stored_digest) == digest, status, headers, body)
        response = create()  # an error raises: the rollback leaves no task and no record
        _save(keyed, request, user_id, key, digest, response)
        return response


def _replay(same_request: bool, status: int, headers: Any, body: bytes) -> Response:
    if not same_request:
        raise RequestValidationError.at(["header", HEADER],
                                        f"This {HEADER} was already used for a different request (method, route or body)",
                                        "idempotency_key_reused")
    stored = orjson.loads(headers) if isinstance(headers, (str, bytes)) else headers
    # A Fragment is written out verbatim by the renderer: the bytes of the first answer.
    return Response(orjson.Fragment(bytes(body)), status=status, headers={**stored, REPLAYED_HEADER: "true"})


def _save(keyed: Any, request: Request, user_id: str, key: str, digest: bytes, response: Response) -> None:
    body = request.accepted_renderer.render(response.data)
    headers = {name: value for name, value in response.items() if name.lower() not in UNSTORED_HEADERS}
    records = table(IdempotencyRecord)
    # Overwrites only an expired record; a live one here means the lookup's snapshot missed
    # a concurrent commit (see run_once): roll back this create and say "in progress".
    keyed.execute(
        f"INSERT INTO {records} (user_id, key, fingerprint, status, headers, body, created_at) "
        f"VALUES (%s, %s, %s, %s, %s::jsonb, %s, STATEMENT_TIMESTAMP()) "
        f"ON CONFLICT (user_id, key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, status = EXCLUDED.status, "
        f"headers = EXCLUDED.headers, body = EXCLUDED.body, created_at = EXCLUDED.created_at "
        f"WHERE {records}.created_at <= STATEMENT_TIMESTAMP() - INTERVAL '{TTL}'",
        [user_id, key, digest, response.status_code, orjson.dumps(headers).decode(), body],
    )
    if keyed.rowcount != 1:
        raise Conflict(f"A request with this {HEADER} is still in progress; retry shortly")


def purge_expired() -> int:
    """Delete the records older than 24 hours (lookups already ignore them); returns how many."""
    return execute(f"DELETE FROM {table(IdempotencyRecord)} WHERE created_at <= STATEMENT_TIMESTAMP() - INTERVAL '{TTL}'")


def idempotent(create: Callable[..., Response]) -> Callable[..., Response]:
    """Decorates a view's `create(self, request, user_id, ...)`: with an Idempotency-Key
    header it runs at most once per user and key (see the module docstring); without one
    nothing changes."""

    @functools.wraps(create)
    def wrapper(view: Any, request: Request, user_id: str, *args: Any, **kwargs: Any) -> Response:
        key = request_key(request)
        if key is None:
            return create(view, request, user_id, *args, **kwargs)
        return run_once(request, user_id, key, lambda: create(view, request, user_id, *args, **kwargs))

    return wrapper

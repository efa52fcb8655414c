"""The change feed: GET /api/{user_id}/changes[?since=&limit=] (README, "Change sequence").

The database numbers every change (triggers of migration 0005): each insert or real
update gives the task the next number of one sequence (`change_seq`), each delete leaves
a tombstone with the next number. A per-user lock held until the writing transaction
ends makes one user's numbers become visible in the order they were drawn: whoever reads
"everything of this user after N" in one snapshot can never see a later number while an
earlier one is still to come. A sync token is therefore just a number, signed.
"""
import base64
import functools
import hmac
import struct
from typing import Any

from django.conf import settings
from django.http import QueryDict
from django.utils.crypto import salted_hmac
from rest_framework.exceptions import APIException

from .exceptions import RequestValidationError
from .models import Task, TaskSyncState, TaskTombstone
from .params import limit_errors
from .sql import TASK_FIELDS, execute, execute_all, execute_one, table, task_columns, task_of

MAX_LIMIT = 1000
_TOKEN = struct.Struct(">BQ")  # format version, change number
_TOKEN_VERSION = 1
_MAC_BYTES = 16


class SyncTokenExpired(APIException):
    """410: the token is not this user's, forged, from before a purge, or past the tombstones kept."""

    status_code = 410
    default_detail = "Sync token expired; start over without since"


# --- Tokens ----------------------------------------------------------------------------------
def _mac(user_id: str, payload: bytes) -> bytes:
    # Keyed from SECRET_KEY and bound to the user: another user's token fails like a forged one.
    return salted_hmac("tasks.sync.token", user_id.encode() + b"\0" + payload).digest()[:_MAC_BYTES]


INVALID_TOKEN = "Value error, Invalid sync token"
# Every string of this shape decodes to a version-1 token (base64url of 25 bytes, the first
# 0x01): one we did not issue for this user fails its MAC and is a 410, anything else a 422.
TOKEN_PATTERN = r"^A[Q-Za-f][A-Za-z0-9_-]{32}$"


def issue_token(user_id: str, seq: int) -> str:
    payload = _TOKEN.pack(_TOKEN_VERSION, seq)
    return base64.urlsafe_b64encode(payload + _mac(user_id, payload)).rstrip(b"=").decode()


def read_token(user_id: str, token: str) -> int:
    """The change number of a token; 422 when it is no token at all, 410 when not ours."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        version, seq = _TOKEN.unpack(raw[: _TOKEN.size])
    except (ValueError, struct.error):
        raise RequestValidationError.at(["query", "since"], INVALID_TOKEN, "value_error") from None
    if version != _TOKEN_VERSION or len(raw) != _TOKEN.size + _MAC_BYTES:
        raise RequestValidationError.at(["query", "since"], INVALID_TOKEN, "value_error")
    if not hmac.compare_digest(raw[_TOKEN.size:], _mac(user_id, raw[: _TOKEN.size])):
        raise SyncTokenExpired()
    return seq


def parse_limit(params: QueryDict) -> int:
    """`limit`, 1..1000 (default 1000), by the list's grammar (tasks.params)."""
    limit, errors = limit_errors(params, MAX_LIMIT)
    if errors:
        raise RequestValidationError(errors)
    return MAX_LIMIT if limit is None else limit


# --- The owner's place in the sequence, and the feed -------------------------------------------
@functools.cache
def owner_version_sql(user: str = "%s") -> str:
    """The owner's latest change number (task or tombstone) and horizon, as scalar
    subqueries naming the user (`user`, a placeholder) three times: evaluated once per
    statement, in its snapshot, so a list and its ETag, or the feed and its `next`,
    always describe the same moment. The horizon counts because a purge of tombstones
    can lower the latest number again."""
    tasks, tombstones, state = table(Task), table(TaskTombstone), table(TaskSyncState)
    return (f"GREATEST((SELECT max(change_seq) FROM {tasks} WHERE user_id = {user}), "
            f"(SELECT max(change_seq) FROM {tombstones} WHERE user_id = {user})), "
            f"(SELECT horizon_seq FROM {state} WHERE user_id = {user})")


def _changes_sql() -> str:
    tasks, tombstones = table(Task), table(TaskTombstone)
    # A tombstone row has the same columns: its id where the task's is, NULL elsewhere.
    nulls = ", ".join("NULL" for _ in TASK_FIELDS[1:])
    # One statement, so one snapshot: the latest number, the horizon and the rows agree,
    # and `next` never skips or repeats a change. The LEFT JOIN keeps the first row when
    # nothing changed.
    return (
        f"WITH changed AS ("
        f"SELECT t.change_seq AS seq, false AS deleted, {task_columns('t')} FROM {tasks} t "
        f"WHERE t.user_id = %(user)s AND t.change_seq > %(since)s "
        f"UNION ALL "
        f"SELECT change_seq, true, task_id, {nulls}, change_seq FROM {tombstones} "
        f"WHERE %(tombstones)s AND user_id = %(user)s AND change_seq > %(since)s "
        f"ORDER BY seq LIMIT %(limit)s) "
        f"SELECT {owner_version_sql('%(user)s')}, changed.* "
        f"FROM (SELECT) AS one LEFT JOIN changed ON true ORDER BY changed.seq"
    )


def changes(user_id: str, since: str | None, limit: int) -> dict[str, Any]:
    """The body of GET /changes: every task (no `since`) or what changed after `since`."""
    after = read_token(user_id, since) if since is not None else 0
    rows = execute_all(_changes_sql(), {"user": user_id, "since": after, "limit": limit + 1, "tombstones": since is not None},
                       many_rows=True,  # up to 2,000 timestamps
                       prepared=False)  # planned for its `since`: a generic plan reads the whole history
    latest, horizon = rows[0][0] or 0, rows[0][1] or 0
    if since is not None and after < horizon:
        raise SyncTokenExpired()  # tombstones after it may have been purged
    found = [row[2:] for row in rows if row[2] is not None]
    more = len(found) > limit
    found = found[:limit]
    items = [{"id": row[2], "deleted": True} if row[1] else task_of(row[2:]) for row in found]
    # Never below the horizon, so a token issued now stays valid after a purge_user.
    next_seq = found[-1][0] if more else max(latest, horizon, after)
    return {"changes": items, "next": issue_token(user_id, next_seq), "more": more}


def lock_change_sequences(user_ids: set[str]) -> None:
    """Take these users' change-sequence locks (migration 0005) in one global order."""
    execute("SELECT pg_advisory_xact_lock(1952, h) FROM (SELECT DISTINCT hashtext(u) AS h FROM unnest(%s::text[]) AS u) "
            "AS hashes ORDER BY h", [sorted(user_ids)])


# --- Retention -----------------------------------------------------------------------------
def purge_expired_tombstones() -> int:
    """Delete tombstones older than TOMBSTONE_DAYS and raise each owner's horizon past
    them (older tokens then get 410), in one statement. Safe to run at any time, also
    twice at once: writers never touch the horizon rows, so nobody waits on a writer."""
    row = execute_one(
        f"WITH purged AS (DELETE FROM {table(TaskTombstone)} "
        f"WHERE deleted_at < statement_timestamp() - make_interval(days => %s) RETURNING user_id, change_seq), "
        f"horizons AS (SELECT user_id, max(change_seq) AS seq, count(*) AS n FROM purged GROUP BY user_id), "
        f"raised AS (INSERT INTO {table(TaskSyncState)} AS state (user_id, horizon_seq) SELECT user_id, seq FROM horizons "
        f"ORDER BY user_id ON CONFLICT (user_id) DO UPDATE SET horizon_seq = GREATEST(state.horizon_seq, excluded.horizon_seq)) "
        f"SELECT coalesce(sum(n), 0) FROM horizons", [settings.TOMBSTONE_DAYS])
    assert row is not None
    return int(row[0])


def remembers(user_id: str) -> bool:
    """Whether the change feed still holds tombstones of this user."""
    return TaskTombstone.objects.filter(user_id=user_id).exists()


def forget_user(user_id: str) -> None:
    """Remove a user's tombstones (purge_user, after their tasks). What stays is one
    horizon row past every number they had, so a token issued before cannot be used
    to sync "nothing changed" over the purge: it gets 410."""
    TaskTombstone.objects.filter(user_id=user_id).delete()
    execute(f"INSERT INTO {table(TaskSyncState)} AS state (user_id, horizon_seq) "
            f"VALUES (%s, nextval('task_change_seq')) ON CONFLICT (user_id) DO UPDATE SET horizon_seq = excluded.horizon_seq",
            [user_id])

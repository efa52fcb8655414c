"""The Task model and the queries every interface (API, admin, commands) goes through."""
from typing import Any

from django.db import connections, models, transaction
from django.db.models import Q
from django.db.models.functions import Now

from .db import parse_timestamps_in_c

# PostgreSQL's bigint: a larger task_id can name no row (404, never a 500).
MAX_TASK_ID = 2**63 - 1
# A task as the API shows it, in the contract's key order.
TASK_FIELDS = ["id", "user_id", "title", "description", "is_completed", "created_at", "updated_at"]


class TaskQuerySet(models.QuerySet["Task"]):
    def for_user(self, user_id: str) -> "TaskQuerySet":
        """The only way to reach tasks from a request: the owner is part of every query."""
        return self.filter(user_id=user_id)

    def newest_first(self) -> "TaskQuerySet":
        return self.order_by("-created_at", "-id")

    def newest_rows(self, user_id: str) -> "TaskList":
        """All of a user's tasks as dicts of TASK_FIELDS, newest first (the list route),
        with the owner's sequence position read in the same statement (its ETag)."""
        with connections[self.db].cursor() as cursor:
            parse_timestamps_in_c(cursor.cursor)  # 2,000 timestamps in a list of 1,000
            cursor.execute(
                f"SELECT {_COLUMNS}, {sync_version_sql()} FROM {_table()} WHERE user_id = %s ORDER BY created_at DESC, id DESC",
                [user_id, user_id, user_id, user_id],
            )
            rows = cursor.fetchall()
        # zip() stops at TASK_FIELDS: the version columns never reach the body.
        return TaskList([dict(zip(TASK_FIELDS, row)) for row in rows], version=tuple(rows[0][-2:]) if rows else None)

    # The single-row operations name their owner, so no caller can forget it: the task
    # of another user is the same 404 as no task. Each is one fixed SQL statement:
    # Django's query compiler cost more than the database did for these (bench/RESULTS.md).
    def row(self, user_id: str, task_id: int) -> "TaskRow | None":
        """One task as a dict of TASK_FIELDS, or None."""
        return self._one(f"SELECT {_RETURNED} FROM {_table()} WHERE id = %s AND user_id = %s", [task_id, user_id])

    def apply_changes(self, user_id: str, task_id: int, changes: dict[str, Any],
                      if_match: list[int] | None = None) -> "TaskRow | None":
        """Write the fields of `changes` that differ; return the task as it then stands.

        One UPDATE that names only the given columns, so concurrent changes of other
        fields are never overwritten by a stale copy; a change that alters nothing
        writes nothing and leaves `updated_at` alone (the row is then read instead, within
        the same statement).

        `if_match` (change numbers, tasks.conditional) makes the write conditional on the
        task's version, in the same statement: None when the task is missing or its
        version is not listed.
        """
        if not changes.keys() <= WRITABLE_FIELDS:
            raise ValueError(f"Not writable: {sorted(changes.keys() - WRITABLE_FIELDS)}")
        if if_match is not None:
            return self._apply_if_match(user_id, task_id, changes, if_match)
        if not changes:
            return self.row(user_id, task_id)
        assignments = ", ".join(f"{name} = %s" for name in changes)
        differs = " OR ".join(f"{name} IS DISTINCT FROM %s" for name in changes)
        values = list(changes.values())
        table = _table()
        return self._one(
            f"WITH updated AS (UPDATE {table} SET {assignments}, updated_at = {_NOW} "
            f"WHERE id = %s AND user_id = %s AND ({differs}) RETURNING {_RETURNED}) "
            f"SELECT * FROM updated UNION ALL SELECT {_RETURNED} FROM {table} "
            f"WHERE id = %s AND user_id = %s AND NOT EXISTS (SELECT FROM updated)",
            [*values, task_id, user_id, *values, task_id, user_id],
        )

    def _apply_if_match(self, user_id: str, task_id: int, changes: dict[str, Any], if_match: list[int]) -> "TaskRow | None":
        # Always an UPDATE, even when no value differs: it locks the row, and PostgreSQL
        # re-checks `change_seq` on the newest version after waiting for a concurrent
        # writer, so two writers holding the same ETag cannot both pass. updated_at moves
        # only when a value differs (decided on that newest version); the trigger then
        # leaves change_seq, and so the ETag, alone when nothing changed.
        if not changes:
            return self._one(f"SELECT {_RETURNED} FROM {_table()} WHERE id = %s AND user_id = %s AND change_seq = ANY(%s)",
                             [task_id, user_id, if_match])
        assignments = ", ".join(f"{name} = %s" for name in changes)
        differs = " OR ".join(f"{name} IS DISTINCT FROM %s" for name in changes)
        values = list(changes.values())
        return self._one(
            f"UPDATE {_table()} SET {assignments}, updated_at = CASE WHEN {differs} THEN {_NOW} ELSE updated_at END "
            f"WHERE id = %s AND user_id = %s AND change_seq = ANY(%s) RETURNING {_RETURNED}",
            [*values, *values, task_id, user_id, if_match],
        )

    def toggle_completion(self, user_id: str, task_id: int, if_match: list[int] | None = None) -> "TaskRow | None":
        """Flip `is_completed` in the database, so parallel toggles never cancel out."""
        condition, params = _version_condition(if_match)
        return self._one(
            f"UPDATE {_table()} SET is_completed = NOT is_completed, updated_at = {_NOW} "
            f"WHERE id = %s AND user_id = %s{condition} RETURNING {_RETURNED}",
            [task_id, user_id, *params],
        )

    def delete_one(self, user_id: str, task_id: int, if_match: list[int] | None = None) -> bool:
        """Delete one task with one DELETE (Django's delete() wraps it in a transaction,
        two more round trips, for cascades and signals a Task has none of)."""
        condition, params = _version_condition(if_match)
        with connections[self.db].cursor() as cursor:
            cursor.execute(f"DELETE FROM {_table()} WHERE id = %s AND user_id = %s{condition}", [task_id, user_id, *params])
            return cursor.rowcount > 0

    def set_completion(self, is_completed: bool) -> list[int]:
        """Set `is_completed` on these tasks; return the ids that really changed.

        Rows already in that state are not written, so their `updated_at` stays put.
        """
        with transaction.atomic():
            changing = self.exclude(is_completed=is_completed).order_by("pk").select_for_update()
            owners = dict(changing.values_list("pk", "user_id"))
            # The triggers take each owner's change lock in row order; across owners take
            # them first, in one order (tasks.sync), or two bulk changes could deadlock.
            lock_change_sequences(set(owners.values()))
            self.model.objects.filter(pk__in=owners).update(is_completed=is_completed, updated_at=Now())
        return list(owners)

    def _one(self, sql: str, params: list[Any]) -> "TaskRow | None":
        with connections[self.db].cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        return None if row is None else TaskRow(zip(TASK_FIELDS, row), change_seq=row[-1])


class TaskRow(dict):
    """A task as the API shows it (renders as the plain dict), and its change number."""

    def __init__(self, fields: Any, change_seq: int) -> None:
        super().__init__(fields)
        self.change_seq = change_seq


class TaskList(list):
    """Tasks as the list route shows them, and the owner's (latest change number,
    horizon) when they were read; None for an empty list."""

    def __init__(self, rows: list[dict[str, Any]], version: tuple[int | None, int | None] | None) -> None:
        super().__init__(rows)
        self.version = version


def lock_change_sequences(user_ids: set[str]) -> None:
    """Take these users' change-sequence locks (migration 0004) in one global order."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(1952, h) FROM (SELECT DISTINCT hashtext(u) AS h FROM unnest(%s::text[]) AS u) "
                       "AS hashes ORDER BY h", [sorted(user_ids)])


def _version_condition(if_match: list[int] | None) -> tuple[str, list[Any]]:
    return ("", []) if if_match is None else (" AND change_seq = ANY(%s)", [if_match])


# Column names are the field names (no db_column), in the contract's key order.
_COLUMNS = ", ".join(TASK_FIELDS)
# Single rows also return their change number: the ETag, without another query.
_RETURNED = f"{_COLUMNS}, change_seq"
WRITABLE_FIELDS = frozenset({"title", "description", "is_completed"})
# What Django's Now() compiles to on PostgreSQL: every timestamp from the database clock.
_NOW = "STATEMENT_TIMESTAMP()"


def _table(model: type[models.Model] | None = None) -> str:
    """The tasks table (or another model's), quoted, as the model names it (never a literal in SQL)."""
    return connections["default"].ops.quote_name((model or Task)._meta.db_table)


def sync_version_sql() -> str:
    # The owner's latest change number (task or tombstone) and horizon, as scalar
    # subqueries: evaluated once per statement, in its snapshot, so a list and its ETag
    # always describe the same moment. The horizon counts because a purge of tombstones
    # can lower the latest number again.
    tombstones, state = _table(TaskTombstone), _table(TaskSyncState)
    return (f"GREATEST((SELECT max(change_seq) FROM {_table()} WHERE user_id = %s), "
            f"(SELECT max(change_seq) FROM {tombstones} WHERE user_id = %s)), "
            f"(SELECT horizon_seq FROM {state} WHERE user_id = %s)")


class Task(models.Model):
    """A user's task; `user_id` is the Better Auth subject that owns it."""

    user_id = models.CharField(max_length=255)
    title = models.CharField(max_length=200)
    description = models.TextField(null=True, blank=True)
    is_completed = models.BooleanField(default=False, db_default=False)
    # Database clock, for both: every instance agrees, and rows inserted by other
    # tools (the FastAPI original's DEFAULT NOW()) get the same.
    created_at = models.DateTimeField(db_default=Now(), editable=False)
    updated_at = models.DateTimeField(db_default=Now(), editable=False)
    # Set by the database on every insert and real change (migration 0004, tasks.sync):
    # the task's place in its owner's change sequence, and so its ETag.
    change_seq = models.BigIntegerField(db_default=0, editable=False)

    objects = TaskQuerySet.as_manager()

    class Meta:
        db_table = "tasks"
        indexes = [
            models.Index(fields=["user_id", "-created_at", "-id"], name="tasks_user_newest"),
            # The admin's changelist: its ordering, and its "created" date filter.
            models.Index(fields=["-created_at", "-id"], name="tasks_newest"),
            # GET /changes?since=: a user's tasks changed after a point of their sequence.
            models.Index(fields=["user_id", "change_seq"], name="tasks_user_change_seq"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="tasks_title_not_empty"),
            models.CheckConstraint(condition=~Q(user_id=""), name="tasks_user_id_not_empty"),
        ]

    def __str__(self) -> str:
        return self.title


class Owner(models.Model):
    """Who a Better Auth subject is, as their latest verified token said (tasks.owners).

    Deliberately no foreign key from Task: tasks may belong to subjects this directory
    has never seen (adopted rows, tokens from before it existed).
    """

    sub = models.CharField(max_length=255, primary_key=True)
    email = models.CharField(max_length=255, blank=True, default="")
    name = models.CharField(max_length=255, blank=True, default="")
    first_seen = models.DateTimeField(db_default=Now(), editable=False)
    last_seen = models.DateTimeField(db_default=Now(), editable=False)

    class Meta:
        db_table = "task_owners"

    def __str__(self) -> str:
        return self.email or self.sub


class TaskSyncState(models.Model):
    """Where a user's change feed begins (tasks.sync): tombstones up to `horizon_seq`
    have been purged (or the user was), so sync tokens below it are expired (410)."""

    user_id = models.CharField(max_length=255, primary_key=True)
    horizon_seq = models.BigIntegerField(db_default=0)

    class Meta:
        db_table = "task_sync_state"

    def __str__(self) -> str:
        return f"{self.user_id} from {self.horizon_seq}"


class TaskTombstone(models.Model):
    """A deleted task, kept TOMBSTONE_DAYS so syncing clients learn of the deletion."""

    user_id = models.CharField(max_length=255)
    task_id = models.BigIntegerField()
    change_seq = models.BigIntegerField()
    deleted_at = models.DateTimeField(db_default=Now(), editable=False)

    class Meta:
        db_table = "task_tombstones"
        indexes = [
            models.Index(fields=["user_id", "change_seq"], name="tombstones_user_change_seq"),
            models.Index(fields=["deleted_at"], name="tombstones_deleted_at"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: task {self.task_id} deleted"

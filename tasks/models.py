"""The Task model and the queries every interface (API, admin, commands) goes through."""
from typing import Any

from django.db import connections, models, transaction
from django.db.models import Q
from django.db.models.functions import Now

from .db import parse_timestamps_in_c

# The contract's `sub`: at most 255 characters. The width of every column holding one
# (Task.user_id, Owner) and the limit authentication and the owner directory apply.
MAX_SUBJECT_LENGTH = 255
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

    def newest_rows(self, user_id: str) -> list[dict[str, Any]]:
        """All of a user's tasks as dicts of TASK_FIELDS, newest first (the list route)."""
        with connections[self.db].cursor() as cursor:
            parse_timestamps_in_c(cursor.cursor)  # 2,000 timestamps in a list of 1,000
            cursor.execute(f"SELECT {_COLUMNS} FROM {_table()} WHERE user_id = %s ORDER BY created_at DESC, id DESC", [user_id])
            return [dict(zip(TASK_FIELDS, row)) for row in cursor.fetchall()]

    # The single-row operations name their owner, so no caller can forget it: the task
    # of another user is the same 404 as no task. Each is one fixed SQL statement:
    # Django's query compiler cost more than the database did for these (bench/RESULTS.md).
    def row(self, user_id: str, task_id: int) -> dict[str, Any] | None:
        """One task as a dict of TASK_FIELDS, or None."""
        return self._one(f"SELECT {_COLUMNS} FROM {_table()} WHERE id = %s AND user_id = %s", [task_id, user_id])

    def apply_changes(self, user_id: str, task_id: int, changes: dict[str, Any]) -> dict[str, Any] | None:
        """Write the fields of `changes` that differ; return the task as it then stands.

        One UPDATE that names only the given columns, so concurrent changes of other
        fields are never overwritten by a stale copy; a change that alters nothing
        writes nothing and leaves `updated_at` alone (the row is then read instead, within
        the same statement).
        """
        if not changes:
            return self.row(user_id, task_id)
        if not changes.keys() <= WRITABLE_FIELDS:
            raise ValueError(f"Not writable: {sorted(changes.keys() - WRITABLE_FIELDS)}")
        assignments = ", ".join(f"{name} = %s" for name in changes)
        differs = " OR ".join(f"{name} IS DISTINCT FROM %s" for name in changes)
        values = list(changes.values())
        table = _table()
        return self._one(
            f"WITH updated AS (UPDATE {table} SET {assignments}, updated_at = {_NOW} "
            f"WHERE id = %s AND user_id = %s AND ({differs}) RETURNING {_COLUMNS}) "
            f"SELECT * FROM updated UNION ALL SELECT {_COLUMNS} FROM {table} "
            f"WHERE id = %s AND user_id = %s AND NOT EXISTS (SELECT FROM updated)",
            [*values, task_id, user_id, *values, task_id, user_id],
        )

    def toggle_completion(self, user_id: str, task_id: int) -> dict[str, Any] | None:
        """Flip `is_completed` in the database, so parallel toggles never cancel out."""
        return self._one(
            f"UPDATE {_table()} SET is_completed = NOT is_completed, updated_at = {_NOW} "
            f"WHERE id = %s AND user_id = %s RETURNING {_COLUMNS}",
            [task_id, user_id],
        )

    def delete_one(self, user_id: str, task_id: int) -> bool:
        """Delete one task with one DELETE (Django's delete() wraps it in a transaction,
        two more round trips, for cascades and signals a Task has none of)."""
        with connections[self.db].cursor() as cursor:
            cursor.execute(f"DELETE FROM {_table()} WHERE id = %s AND user_id = %s", [task_id, user_id])
            return cursor.rowcount > 0

    def set_completion(self, is_completed: bool) -> list[int]:
        """Set `is_completed` on these tasks; return the ids that really changed.

        Rows already in that state are not written, so their `updated_at` stays put.
        """
        with transaction.atomic():
            changing = list(self.exclude(is_completed=is_completed).select_for_update().values_list("pk", flat=True))
            self.model.objects.filter(pk__in=changing).update(is_completed=is_completed, updated_at=Now())
        return changing

    def _one(self, sql: str, params: list[Any]) -> dict[str, Any] | None:
        with connections[self.db].cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        return None if row is None else dict(zip(TASK_FIELDS, row))


# Column names are the field names (no db_column), in the contract's key order.
_COLUMNS = ", ".join(TASK_FIELDS)
WRITABLE_FIELDS = frozenset({"title", "description", "is_completed"})
# What Django's Now() compiles to on PostgreSQL: every timestamp from the database clock.
_NOW = "STATEMENT_TIMESTAMP()"


def _table() -> str:
    """The tasks table, quoted, as the model names it (never a literal in SQL)."""
    return connections["default"].ops.quote_name(Task._meta.db_table)


class Task(models.Model):
    """A user's task; `user_id` is the Better Auth subject that owns it."""

    user_id = models.CharField(max_length=MAX_SUBJECT_LENGTH)
    title = models.CharField(max_length=200)
    description = models.TextField(null=True, blank=True)
    is_completed = models.BooleanField(default=False, db_default=False)
    # Database clock, for both: every instance agrees, and rows inserted by other
    # tools (the FastAPI original's DEFAULT NOW()) get the same.
    created_at = models.DateTimeField(db_default=Now(), editable=False)
    updated_at = models.DateTimeField(db_default=Now(), editable=False)

    objects = TaskQuerySet.as_manager()

    class Meta:
        db_table = "tasks"
        indexes = [
            models.Index(fields=["user_id", "-created_at", "-id"], name="tasks_user_newest"),
            # The admin's changelist: its ordering, and its "created" date filter.
            models.Index(fields=["-created_at", "-id"], name="tasks_newest"),
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

    sub = models.CharField(max_length=MAX_SUBJECT_LENGTH, primary_key=True)
    email = models.CharField(max_length=MAX_SUBJECT_LENGTH, blank=True, default="")
    name = models.CharField(max_length=MAX_SUBJECT_LENGTH, blank=True, default="")
    first_seen = models.DateTimeField(db_default=Now(), editable=False)
    last_seen = models.DateTimeField(db_default=Now(), editable=False)

    class Meta:
        db_table = "task_owners"

    def __str__(self) -> str:
        return self.email or self.sub

"""The Task model and the queries every interface (API, admin, commands) goes through."""
from typing import Any

from django.db import connections, models, transaction
from django.db.models import F, Q
from django.db.models.functions import Now

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

    def row(self, task_id: int) -> dict[str, Any] | None:
        """One task as a dict of TASK_FIELDS (no model instance, no serializer: one SELECT)."""
        return next(iter(self.filter(pk=task_id).values(*TASK_FIELDS)), None)

    def apply_changes(self, task_id: int, changes: dict[str, Any]) -> dict[str, Any] | None:
        """Write the fields of `changes` that differ; return the task as it then stands.

        One UPDATE that names only the given columns, so concurrent changes of other
        fields are never overwritten by a stale copy; a change that alters nothing
        writes nothing and leaves `updated_at` alone (the row is then read instead; on
        PostgreSQL in the same statement).
        """
        if not changes:
            return self.row(task_id)
        differs = Q()
        for name, value in changes.items():
            differs |= ~Q(**{name: value})  # NULL-aware: Django adds IS NOT NULL when negating
        changed = self.filter(pk=task_id).filter(differs)
        if self._on_postgresql():
            assignments = ", ".join(f"{self._quote(name)} = %s" for name in changes)
            return changed._update_returning(
                f"{assignments}, updated_at = {_NOW}", list(changes.values()), otherwise=self.filter(pk=task_id)
            )
        with transaction.atomic(using=self.db):
            changed.update(**changes, updated_at=Now())
            return self.row(task_id)  # our UPDATE holds the row lock: the row as we left it

    def toggle_completion(self, task_id: int) -> dict[str, Any] | None:
        """Flip `is_completed` in the database, so parallel toggles never cancel out."""
        if self._on_postgresql():
            return self.filter(pk=task_id)._update_returning(f"is_completed = NOT is_completed, updated_at = {_NOW}", [])
        with transaction.atomic(using=self.db):
            if not self.filter(pk=task_id).update(is_completed=~F("is_completed"), updated_at=Now()):
                return None
            return self.row(task_id)

    def delete_one(self, task_id: int) -> bool:
        """Delete one task with a single DELETE (Django's delete() wraps it in a
        transaction, two more round trips, for cascades and signals a Task has none of)."""
        where, params = self.filter(pk=task_id)._where_sql()
        with connections[self.db].cursor() as cursor:
            cursor.execute(f"DELETE FROM {self._quote(Task._meta.db_table)} WHERE {where}", params)
            return cursor.rowcount > 0

    def _on_postgresql(self) -> bool:
        # The single-statement writes below are PostgreSQL SQL (production and the tests);
        # SQLite (bin/dev) keeps the ORM's UPDATE + SELECT in a transaction.
        return connections[self.db].vendor == "postgresql"

    def _quote(self, name: str) -> str:
        return connections[self.db].ops.quote_name(name)

    def _where_sql(self) -> tuple[str, list[Any]]:
        """This queryset's WHERE clause, compiled by Django (so for_user() stays the boundary)."""
        compiler = self.query.get_compiler(self.db)
        sql, params = self.query.where.as_sql(compiler, compiler.connection)
        return sql, list(params)

    def _update_returning(self, assignments: str, params: list[Any], otherwise: "TaskQuerySet | None" = None) -> dict[str, Any] | None:
        """UPDATE the rows of this queryset and return the first as a dict of TASK_FIELDS.

        One statement: the row lock is held while it is written and the answer is the
        row as this write left it. With `otherwise`, a statement that updated nothing
        answers that queryset's row instead (as of the statement's start).
        """
        where, where_params = self._where_sql()
        columns = ", ".join(self._quote(name) for name in TASK_FIELDS)
        sql = f"UPDATE {self._quote(Task._meta.db_table)} SET {assignments} WHERE {where} RETURNING {columns}"
        params = [*params, *where_params]
        if otherwise is not None:
            select, select_params = otherwise.values(*TASK_FIELDS).query.sql_with_params()
            sql = (f"WITH updated AS ({sql}) SELECT * FROM updated "
                   f"UNION ALL SELECT * FROM ({select}) AS existing WHERE NOT EXISTS (SELECT FROM updated)")
            params += list(select_params)
        with connections[self.db].cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        return None if row is None else dict(zip(TASK_FIELDS, row))


# What Django's Now() compiles to on PostgreSQL: every timestamp from the database clock.
_NOW = "STATEMENT_TIMESTAMP()"


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

    objects = TaskQuerySet.as_manager()

    class Meta:
        db_table = "tasks"
        indexes = [models.Index(fields=["user_id", "-created_at", "-id"], name="tasks_user_newest")]
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="tasks_title_not_empty"),
            models.CheckConstraint(condition=~Q(user_id=""), name="tasks_user_id_not_empty"),
        ]

    def __str__(self) -> str:
        return self.title

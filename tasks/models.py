"""The Task model and the queries every interface (API, admin, commands) goes through."""
from typing import Any

from django.db import models, transaction
from django.db.models import F, Q
from django.db.models.functions import Now

# PostgreSQL's bigint: a larger task_id can name no row (404, never a 500).
MAX_TASK_ID = 2**63 - 1


class TaskQuerySet(models.QuerySet["Task"]):
    def for_user(self, user_id: str) -> "TaskQuerySet":
        """The only way to reach tasks from a request: the owner is part of every query."""
        return self.filter(user_id=user_id)

    def newest_first(self) -> "TaskQuerySet":
        return self.order_by("-created_at", "-id")

    def apply_changes(self, task_id: int, changes: dict[str, Any]) -> "Task | None":
        """Write the fields of `changes` that differ; return the task as it then stands.

        One UPDATE that names only the given columns, so concurrent changes of other
        fields are never overwritten by a stale copy; a change that alters nothing
        writes nothing and leaves `updated_at` alone.
        """
        if not changes:
            return self.filter(pk=task_id).first()
        differs = Q()
        for name, value in changes.items():
            differs |= ~Q(**{name: value})  # NULL-aware: Django adds IS NOT NULL when negating
        with transaction.atomic():
            self.filter(pk=task_id).filter(differs).update(**changes, updated_at=Now())
            # Read inside the transaction: our UPDATE holds the row lock, so this is
            # the row as our write left it.
            return self.filter(pk=task_id).first()

    def toggle_completion(self, task_id: int) -> "Task | None":
        """Flip `is_completed` in the database, so parallel toggles never cancel out."""
        with transaction.atomic():
            if not self.filter(pk=task_id).update(is_completed=~F("is_completed"), updated_at=Now()):
                return None
            return self.filter(pk=task_id).first()

    def set_completion(self, is_completed: bool) -> list[int]:
        """Set `is_completed` on these tasks; return the ids that really changed.

        Rows already in that state are not written, so their `updated_at` stays put.
        """
        with transaction.atomic():
            changing = list(self.exclude(is_completed=is_completed).select_for_update().values_list("pk", flat=True))
            self.model.objects.filter(pk__in=changing).update(is_completed=is_completed, updated_at=Now())
        return changing


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

    sub = models.CharField(max_length=255, primary_key=True)
    email = models.CharField(max_length=255, blank=True, default="")
    name = models.CharField(max_length=255, blank=True, default="")
    first_seen = models.DateTimeField(db_default=Now(), editable=False)
    last_seen = models.DateTimeField(db_default=Now(), editable=False)

    class Meta:
        db_table = "task_owners"

    def __str__(self) -> str:
        return self.email or self.sub

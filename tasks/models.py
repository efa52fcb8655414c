"""The models, their choices and the ORM queries every interface (API, admin, commands)
goes through. Raw SQL lives apart (tasks.sql; a task's row: tasks.rows)."""
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now

# The contract's `sub`: at most 255 characters. The width of every column holding one
# (Task.user_id, Owner) and the limit authentication and the owner directory apply.
MAX_SUBJECT_LENGTH = 255
# PostgreSQL's bigint: a larger task or tag id can name no row (404, never a 500).
MAX_ID = 2**63 - 1
# A tag's name: 1-50 characters (varchar(50) and tags_name_not_empty).
MAX_TAG_NAME_LENGTH = 50
# An Idempotency-Key header: 1-255 printable ASCII characters (tasks.idempotency).
MAX_IDEMPOTENCY_KEY_LENGTH = 255
# The fields a client (or the admin) may write (tasks.rows); a moment (due_date,
# recurrence_end_date) is written as its two columns, value and kind.
WRITABLE_FIELDS = frozenset({"title", "description", "is_completed", "priority", "due_date",
                             "recurrence_pattern", "recurrence_end_date"})
MOMENT_FIELDS = frozenset({"due_date", "recurrence_end_date"})


class TaskQuerySet(models.QuerySet["Task"]):
    def for_user(self, user_id: str) -> "TaskQuerySet":
        """The only way to reach tasks from a request: the owner is part of every query."""
        return self.filter(user_id=user_id)

    def newest_first(self) -> "TaskQuerySet":
        return self.order_by("-created_at", "-id")


class Priority(models.TextChoices):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Recurrence(models.TextChoices):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"


class MomentKind(models.TextChoices):
    """How a due date was given, so it is shown back the same way (tasks.moments)."""

    INSTANT = "instant"  # had an offset: shown in UTC with Z
    FLOATING = "floating"  # a wall-clock time without offset: stored as if UTC, shown without one
    DATE = "date"  # a calendar date: stored as its UTC midnight, shown as YYYY-MM-DD


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
    # Planning fields (the original's phase V). A moment is a timestamptz, sortable as
    # is (floating times sort as if UTC), plus the kind it was given in.
    priority = models.CharField(max_length=6, choices=Priority.choices, default=Priority.MEDIUM, db_default=Priority.MEDIUM)
    due_date = models.DateTimeField(null=True, blank=True)
    due_date_kind = models.CharField(max_length=8, choices=MomentKind.choices, null=True, blank=True)
    recurrence_pattern = models.CharField(max_length=7, choices=Recurrence.choices, null=True, blank=True)
    recurrence_end_date = models.DateTimeField(null=True, blank=True)
    recurrence_end_date_kind = models.CharField(max_length=8, choices=MomentKind.choices, null=True, blank=True)
    # Set once, by the completion that decided this task's successor (tasks.recurrence):
    # a second completion, parallel or after re-opening, finds it set and creates nothing.
    next_occurrence_id = models.BigIntegerField(null=True, blank=True, editable=False)
    tags = models.ManyToManyField("Tag", through="TaskTag", related_name="tasks", blank=True)
    # Set by the database on every insert and real change (migration 0005, tasks.sync):
    # the task's place in its owner's change sequence, and so its ETag.
    change_seq = models.BigIntegerField(db_default=0, editable=False)

    objects = TaskQuerySet.as_manager()

    class Meta:
        db_table = "tasks"
        indexes = [
            models.Index(fields=["user_id", "-created_at", "-id"], name="tasks_user_newest"),
            # The admin's changelist: its ordering, and its "created" date filter.
            models.Index(fields=["-created_at", "-id"], name="tasks_newest"),
            # sort_by=due_date (ascending, nulls last, as the btree stores them), with or
            # without is_completed / priority filters read off the same rows.
            models.Index(fields=["user_id", "due_date", "id"], name="tasks_user_due"),
            # GET /changes?since=: a user's tasks changed after a point of their sequence.
            models.Index(fields=["user_id", "change_seq"], name="tasks_user_change_seq"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="tasks_title_not_empty"),
            models.CheckConstraint(condition=~Q(user_id=""), name="tasks_user_id_not_empty"),
            models.CheckConstraint(condition=Q(priority__in=Priority.values), name="tasks_priority_valid"),
            models.CheckConstraint(
                condition=Q(recurrence_pattern__isnull=True) | Q(recurrence_pattern__in=Recurrence.values),
                name="tasks_recurrence_pattern_valid",
            ),
            models.CheckConstraint(
                condition=Q(due_date__isnull=True, due_date_kind__isnull=True)
                | Q(due_date__isnull=False, due_date_kind__isnull=False, due_date_kind__in=MomentKind.values),
                name="tasks_due_date_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(recurrence_end_date__isnull=True, recurrence_end_date_kind__isnull=True)
                | Q(recurrence_end_date__isnull=False, recurrence_end_date_kind__isnull=False,
                    recurrence_end_date_kind__in=MomentKind.values),
                name="tasks_recurrence_end_date_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Tag(models.Model):
    """A user's tag; per user like tasks (no foreign key to any user table)."""

    user_id = models.CharField(max_length=MAX_SUBJECT_LENGTH)
    name = models.CharField(max_length=MAX_TAG_NAME_LENGTH)
    color = models.CharField(max_length=7, null=True, blank=True)
    created_at = models.DateTimeField(db_default=Now(), editable=False)

    class Meta:
        db_table = "tags"
        constraints = [
            models.UniqueConstraint(fields=["user_id", "name"], name="tags_user_name_unique"),
            # 1..50 characters: varchar(50) bounds the top, this the bottom.
            models.CheckConstraint(condition=~Q(name=""), name="tags_name_not_empty"),
            models.CheckConstraint(
                condition=Q(color__isnull=True) | Q(color__regex=r"^#[0-9A-Fa-f]{6}$"), name="tags_color_hex"),
            models.CheckConstraint(condition=~Q(user_id=""), name="tags_user_id_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name


class TaskTag(models.Model):
    """A tag on a task. The database deletes the link with either end (ON DELETE CASCADE,
    added by migration 0004: Django 5.2 cascades only in Python, and the task and tag
    routes delete with one raw DELETE)."""

    user_id = models.CharField(max_length=MAX_SUBJECT_LENGTH)
    # No index of their own: the unique (task, tag) serves "tags of a task", and
    # task_tags_tag_task "tasks of a tag" (the tags filter, tag deletion).
    task = models.ForeignKey(Task, on_delete=models.CASCADE, db_constraint=False, db_index=False, related_name="tag_links")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, db_constraint=False, db_index=False, related_name="task_links")
    created_at = models.DateTimeField(db_default=Now(), editable=False)

    class Meta:
        db_table = "task_tags"
        constraints = [models.UniqueConstraint(fields=["task", "tag"], name="task_tags_task_tag_unique")]
        indexes = [
            models.Index(fields=["tag", "task"], name="task_tags_tag_task"),
            # The list's tags: all of one user's links in one index range (tasks.sql).
            models.Index(fields=["user_id", "task"], name="task_tags_user_task"),
        ]


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


class TaskSyncState(models.Model):
    """Where a user's change feed begins (tasks.sync): tombstones up to `horizon_seq`
    have been purged (or the user was), so sync tokens below it are expired (410)."""

    user_id = models.CharField(max_length=MAX_SUBJECT_LENGTH, primary_key=True)
    horizon_seq = models.BigIntegerField(db_default=0)

    class Meta:
        db_table = "task_sync_state"

    def __str__(self) -> str:
        return f"{self.user_id} from {self.horizon_seq}"


class TaskTombstone(models.Model):
    """A deleted task, kept TOMBSTONE_DAYS so syncing clients learn of the deletion."""

    user_id = models.CharField(max_length=MAX_SUBJECT_LENGTH)
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


class IdempotencyRecord(models.Model):
    """The answer to a POST sent with an `Idempotency-Key`, kept so that a retry gets the
    same answer instead of a second create (tasks.idempotency)."""

    pk = models.CompositePrimaryKey("user_id", "key")
    user_id = models.CharField(max_length=MAX_SUBJECT_LENGTH)
    key = models.CharField(max_length=MAX_IDEMPOTENCY_KEY_LENGTH)
    # sha256 of method, route and canonical JSON body: the same key with another request is a 422.
    fingerprint = models.BinaryField()
    status = models.PositiveSmallIntegerField()
    headers = models.JSONField(default=dict)
    body = models.BinaryField()  # the rendered bytes, replayed as they were sent
    created_at = models.DateTimeField(db_default=Now(), editable=False)

    class Meta:
        db_table = "task_idempotency_keys"

    def __str__(self) -> str:
        return f"{self.user_id}: {self.key}"

"""Support staff's view of tasks and their owners.

Least privilege comes from the `Support` group (migrations 0003, 0005); this module keeps
what even a permitted user may edit to title, description, completion, priority, due
date and tags, and makes every change go through the model's update path and into the
admin history.

Support edits a due date as its stored value (the date/time widgets, in UTC: for a
floating time or a date that *is* the wall clock the user gave) plus its kind, so the
admin needs no second parser of the API's text forms.
"""
import datetime
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.paginator import Paginator
from django.db.models import Model, OuterRef, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.functional import cached_property

from .models import MAX_TAG_NAME_LENGTH, MomentKind, Owner, Tag, Task, TaskTag
from .sql import execute_one, moment_sql, table
from .writes import set_completion, update_task

# Below this many rows an exact count is cheap, and an estimate would be visibly wrong.
EXACT_COUNT_BELOW = 10_000


def estimated_row_count(model: type[Model]) -> int:
    """PostgreSQL's planner estimate of a table's rows (-1 when never analysed)."""
    row = execute_one("SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)", [table(model)])
    return int(row[0]) if row and row[0] is not None else -1


class EstimatedCountPaginator(Paginator):
    """Counts exactly when the changelist is filtered or the table is small; otherwise
    uses the planner's estimate, so the unfiltered first page of a big table stays fast
    (the page count may be off by a few percent until autovacuum's next ANALYZE)."""

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not queryset.query.where:
            estimate = estimated_row_count(queryset.model)
            if estimate >= EXACT_COUNT_BELOW:
                return estimate
        return super().count


TAG_FILTER_CHOICES = 100  # the first names A-Z: a filter list of every user's tags would not fit


def shown_moment(field: str) -> RawSQL:
    """The API's own rendering of a moment column (tasks.sql), for an annotation."""
    return RawSQL(moment_sql(f"{table(Task)}.{field}"), [])


class TagNamesFormField(forms.CharField):
    """A task's tags as comma-separated names, with the API's rules (trimmed, 1-50
    characters, duplicates once; the API's own field is tasks.fields.TagNamesField)."""

    def to_python(self, value: Any) -> list[str]:
        names = [name.strip() for name in (value or "").split(",") if name.strip()]
        too_long = [name for name in names if len(name) > MAX_TAG_NAME_LENGTH]
        if too_long:
            raise forms.ValidationError(f"Tag names have at most {MAX_TAG_NAME_LENGTH} characters: {', '.join(too_long)}")
        return sorted(set(names))

    def prepare_value(self, value: Any) -> str:
        return ", ".join(value) if isinstance(value, list) else (value or "")


class TaskAdminForm(forms.ModelForm):
    tag_names = TagNamesFormField(required=False, label="Tags", help_text="Comma-separated; a new name creates that user's tag.")

    class Meta:
        model = Task
        fields = ["title", "description", "is_completed", "priority", "due_date", "due_date_kind"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["tag_names"] = sorted(self.instance.tags.values_list("name", flat=True))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        due, kind = cleaned.get("due_date"), cleaned.get("due_date_kind")
        if due is not None and not kind:
            self.add_error("due_date_kind", "Say how the due date reads: an instant, a floating time or a date.")
        elif due is None and kind:
            cleaned["due_date_kind"] = None
        elif kind == MomentKind.DATE:
            cleaned["due_date"] = due.astimezone(datetime.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
        return cleaned


class TagFilter(admin.SimpleListFilter):
    """Tasks with a tag of that name (any owner's)."""

    title = "tag"
    parameter_name = "tag"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        # Names only, from the tags table (small next to task_tags): no count per name,
        # which would scan every link on each changelist load.
        names = Tag.objects.order_by("name").values_list("name", flat=True).distinct()[:TAG_FILTER_CHOICES]
        return [(name, name) for name in names]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Task]) -> QuerySet[Task]:
        if self.value() is None:
            return queryset
        return queryset.filter(pk__in=TaskTag.objects.filter(tag__name=self.value()).values("task_id"))


READ_ONLY_TASK_FIELDS = ["due", "recurrence_pattern", "recurrence_end", "user_id", "owner_email", "created_at", "updated_at"]


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    """Find a user's tasks by owner email, name, sub or text; fix title, description,
    completion, priority, due date and tags."""

    form = TaskAdminForm
    list_display = ["id", "title", "owner_email", "user_id", "is_completed", "priority", "due", "tag_list",
                    "created_at", "updated_at"]
    list_filter = ["is_completed", "priority", "due_date", TagFilter, "recurrence_pattern", "created_at", "updated_at"]
    search_fields = ["title", "description", "=user_id"]
    search_help_text = "Title or description (contains), owner email or name (contains), or exact sub."
    fields = ["title", "description", "is_completed", "priority", "due_date", "due_date_kind", "tag_names",
              *READ_ONLY_TASK_FIELDS]
    readonly_fields = READ_ONLY_TASK_FIELDS
    ordering = ["-created_at", "-id"]
    actions = ["mark_complete", "mark_incomplete"]
    paginator = EstimatedCountPaginator
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Task]:
        # No foreign key to Owner (tasks may predate the directory): a correlated
        # subquery keeps the changelist at one SELECT instead of one per row.
        owner_email = Owner.objects.filter(sub=OuterRef("user_id")).values("email")[:1]
        # Due dates rendered by the API's own SQL; tags: one more query for the whole page.
        return (super().get_queryset(request)
                .annotate(owner_email=Subquery(owner_email), due_shown=shown_moment("due_date"),
                          recurrence_end_shown=shown_moment("recurrence_end_date"))
                .prefetch_related("tags"))

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[Task], search_term: str) -> tuple[QuerySet[Task], bool]:
        matches, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if term:
            # OR-ed onto the queryset as the list filters left it, so filters still apply.
            owners = Owner.objects.filter(Q(email__icontains=term) | Q(name__icontains=term)).values("sub")
            matches |= queryset.filter(user_id__in=owners)
        return matches, may_have_duplicates

    # Not sortable: ordering 100,000 rows by a correlated subquery runs it 100,000 times.
    @admin.display(description="Owner email")
    def owner_email(self, task: Task) -> str:
        return getattr(task, "owner_email", None) or "-"

    @admin.display(description="Due (as the API shows it)", ordering="due_date")
    def due(self, task: Task) -> str:
        return getattr(task, "due_shown", None) or "-"

    @admin.display(description="Recurrence ends")
    def recurrence_end(self, task: Task) -> str:
        return getattr(task, "recurrence_end_shown", None) or "-"

    @admin.display(description="Tags")
    def tag_list(self, task: Task) -> str:
        return ", ".join(sorted(tag.name for tag in task.tags.all())) or "-"

    def save_model(self, request: HttpRequest, obj: Task, form: ModelForm, change: bool) -> None:
        if not change:
            super().save_model(request, obj, form, change)
            return
        # The API's update path (PATCH): only changed columns are written, updated_at
        # moves only when something really changes, tags are replaced, and completing a
        # recurring task creates its next occurrence.
        data, changed = form.cleaned_data, set(form.changed_data)
        changes = {name: data[name] for name in ("title", "description", "is_completed", "priority") if name in changed}
        if changed & {"due_date", "due_date_kind"}:  # a moment is its value and its kind
            changes["due_date"] = (data["due_date"], data["due_date_kind"])
        if "tag_names" in changed:
            changes["tags"] = data["tag_names"]
        update_task(obj.user_id, obj.pk, changes)

    def save_related(self, request: HttpRequest, form: ModelForm, formsets: Any, change: bool) -> None:
        pass  # tags are saved by save_model (a through model Django's m2m saving cannot fill)

    @admin.action(description="Mark selected tasks complete", permissions=["change"])
    def mark_complete(self, request: HttpRequest, queryset: QuerySet[Task]) -> None:
        self._set_completion(request, queryset, True)

    @admin.action(description="Mark selected tasks incomplete", permissions=["change"])
    def mark_incomplete(self, request: HttpRequest, queryset: QuerySet[Task]) -> None:
        self._set_completion(request, queryset, False)

    def _set_completion(self, request: HttpRequest, queryset: QuerySet[Task], is_completed: bool) -> None:
        changed = set_completion(Task.objects.filter(pk__in=queryset.values("pk")), is_completed)
        if changed:
            # One history entry per task, like the change form writes (bulk updates skip it).
            LogEntry.objects.log_actions(
                user_id=request.user.pk,
                queryset=Task.objects.filter(pk__in=changed),
                action_flag=CHANGE,
                change_message=[{"changed": {"fields": ["Is completed"]}}],
            )
        state = "complete" if is_completed else "incomplete"
        self.message_user(request, f"Marked {len(changed)} task(s) {state}.", messages.SUCCESS)


class ReadOnlyAdmin(admin.ModelAdmin):
    """A changelist staff may read but never add to, change or delete from."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Tag)
class TagAdmin(ReadOnlyAdmin):
    """Users' tags, to read: they change through tasks (the API, or a task's change page)."""

    list_display = ["id", "name", "color", "user_id", "created_at"]
    search_fields = ["name", "=user_id"]
    ordering = ["user_id", "name"]
    show_full_result_count = False


@admin.register(Owner)
class OwnerAdmin(ReadOnlyAdmin):
    """The owner directory is written by the API's task routes only: staff read it."""

    list_display = ["sub", "email", "name", "first_seen", "last_seen"]
    search_fields = ["email", "name", "=sub"]
    ordering = ["email", "sub"]
    show_full_result_count = False

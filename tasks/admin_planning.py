"""The admin's view of the planning fields: the due date shown as the API shows it, the
tags edited as names, and the tag filter.

Support edits a due date as its stored value (the date/time widgets, in UTC: for a
floating time or a date that *is* the wall clock the user gave) plus its kind, so the
admin needs no second parser of the API's text forms.
"""
import datetime
from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.http import HttpRequest

from .models import MomentKind, Tag, Task, TaskTag
from .rendering import moment_sql

TAG_FILTER_CHOICES = 100  # the first names A-Z: a filter list of every user's tags would not fit


def shown_moment(field: str) -> RawSQL:
    """The API's own rendering of a moment column (tasks.rendering), for an annotation."""
    return RawSQL(moment_sql(f"{Task._meta.db_table}.{field}"), [])


class TagNamesField(forms.CharField):
    """A task's tags as comma-separated names, with the API's rules (trimmed, 1-50
    characters, duplicates once)."""

    def to_python(self, value: Any) -> list[str]:
        names = [name.strip() for name in (value or "").split(",") if name.strip()]
        too_long = [name for name in names if len(name) > 50]
        if too_long:
            raise forms.ValidationError(f"Tag names have at most 50 characters: {', '.join(too_long)}")
        return sorted(set(names))

    def prepare_value(self, value: Any) -> str:
        return ", ".join(value) if isinstance(value, list) else (value or "")


class TaskAdminForm(forms.ModelForm):
    tag_names = TagNamesField(required=False, label="Tags", help_text="Comma-separated; a new name creates that user's tag.")

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

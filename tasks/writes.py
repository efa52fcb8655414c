"""What the task routes and the admin write: a create or an update with its tags and its
completion, each in one transaction, answered as tasks.sql shows the task; and the
admin's bulk completion."""
from typing import Any

from django.db import transaction
from django.db.models.functions import Now

from . import recurrence
from .models import Task, TaskQuerySet
from .rows import change_task, insert_task, task_row
from .sync import lock_change_sequences
from .tagging import set_task_tags


def create_task(user_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    """Insert the task, with its tags when given; a task created completed is simply
    completed (no occurrence: nothing was completed)."""
    tags = fields.pop("tags", None)
    if not tags:
        return insert_task(user_id, fields)  # one INSERT: the common case
    with transaction.atomic():
        created = insert_task(user_id, fields)
        set_task_tags(user_id, created["id"], tags)
        row = task_row(user_id, created["id"])
    assert row is not None
    return row


def update_task(user_id: str, task_id: int, changes: dict[str, Any]) -> dict[str, Any] | None:
    """PATCH and PUT: write what differs, replace the tags when given, and complete the
    task (creating its next occurrence) when `is_completed: true` finds it open.
    None when the task is not the user's.

    One statement unless tags are given. Tags are a statement of their own, first, in
    the same transaction: a data-modifying CTE's writes are invisible to the rest of its
    statement, so the completion could not copy them onto the next occurrence."""
    tags = changes.pop("tags", None)
    completing = changes.get("is_completed") is True
    if tags is None:
        return recurrence.complete(user_id, task_id, changes) if completing else change_task(user_id, task_id, changes)
    with transaction.atomic():
        retagged = set_task_tags(user_id, task_id, tags)
        if completing:
            return recurrence.complete(user_id, task_id, changes, touch=retagged)
        return change_task(user_id, task_id, changes, touch=retagged)


def set_completion(tasks: TaskQuerySet, is_completed: bool) -> list[int]:
    """Set `is_completed` on these tasks (the admin's actions); return the ids that really
    changed. Rows already in that state are not written, so their `updated_at` stays put."""
    with transaction.atomic():
        changing = tasks.exclude(is_completed=is_completed).order_by("pk").select_for_update()
        owners = dict(changing.values_list("pk", "user_id"))
        # The triggers take each owner's change lock in row order; across owners take
        # them first, in one order (tasks.sync), or two bulk changes could deadlock.
        lock_change_sequences(set(owners.values()))
        Task.objects.filter(pk__in=owners).update(is_completed=is_completed, updated_at=Now())
    return list(owners)

"""What the task routes write: a create or an update with its tags and its completion,
each in one transaction, answered as tasks.rendering shows the task."""
from typing import Any

from django.db import transaction

from . import recurrence
from .models import Task
from .tagging import set_task_tags


def create_task(user_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    """Insert the task, with its tags when given; a task created completed is simply
    completed (no occurrence: nothing was completed)."""
    tags = fields.pop("tags", None)
    if not tags:
        return Task.objects.create_row(user_id, fields)  # one INSERT: the common case
    with transaction.atomic():
        created = Task.objects.create_row(user_id, fields)
        set_task_tags(user_id, created["id"], tags)
        row = Task.objects.row(user_id, created["id"])
    assert row is not None
    return row


def update_task(user_id: str, task_id: int, changes: dict[str, Any]) -> dict[str, Any] | None:
    """PATCH and PUT: write what differs, replace the tags when given, and complete the
    task (creating its next occurrence) when `is_completed: true` finds it open.
    None when the task is not the user's."""
    tags = changes.pop("tags", None)
    completing = changes.get("is_completed") is True
    if tags is None and not completing:
        return Task.objects.apply_changes(user_id, task_id, changes)  # one statement
    with transaction.atomic():
        retagged = tags is not None and set_task_tags(user_id, task_id, tags)
        if completing:
            changes.pop("is_completed")
        row = Task.objects.apply_changes(user_id, task_id, changes, touch=retagged) if changes or retagged else None
        if completing:
            # After the other changes, so the next occurrence copies them.
            row = recurrence.complete(user_id, task_id) or row
        return row or Task.objects.row(user_id, task_id)

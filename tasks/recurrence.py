"""Completing a task, and the next occurrence of a recurring one, in one statement.

Exactly once: the completing UPDATE locks the row first (the FOR UPDATE subquery `old`,
which after waiting for a parallel completion reads the row as that one left it) and
claims a successor id into `next_occurrence_id` only when the task was open and had
none. A parallel completion then finds the task completed or the claim made;
re-opening and completing again finds the claim. The successor and its tag links are
inserted by the same statement, so they commit (or not) with the completion.
"""
from typing import Any

from django.db import connections

from .models import Task
from .rendering import NOW, TASK_FIELDS, TASK_TAGS_TABLE, TASKS_TABLE, task_columns, task_of

_SPAWNS = "NOT old.is_completed AND t.recurrence_pattern IS NOT NULL AND old.next_occurrence_id IS NULL"
_PERIOD = "CASE recurrence_pattern WHEN 'daily' THEN interval '1 day' WHEN 'weekly' THEN interval '7 days' ELSE interval '1 month' END"
_COMPLETE = (
    # {value}: the new is_completed; {only_open}: narrows the rows a PATCH may complete.
    f"WITH done AS (UPDATE {TASKS_TABLE} t SET is_completed = {{value}}, updated_at = {NOW}, "
    f"next_occurrence_id = CASE WHEN {_SPAWNS} THEN nextval(pg_get_serial_sequence('{TASKS_TABLE}', 'id')) "
    "ELSE t.next_occurrence_id END "
    f"FROM (SELECT id, is_completed, next_occurrence_id FROM {TASKS_TABLE} WHERE id = %(task)s AND user_id = %(user)s"
    "{only_open} FOR UPDATE) old "
    f"WHERE t.id = old.id RETURNING {task_columns('t')}, CASE WHEN {_SPAWNS} THEN t.next_occurrence_id END AS successor, "
    "t.due_date AS due_at, t.due_date_kind AS due_kind, t.recurrence_end_date AS end_at, "
    "t.recurrence_end_date_kind AS end_kind), "
    # The successor: same title, description, priority, tags, pattern and end date, due
    # one period after the completed task's due date (or after its completion when it had
    # none), in the same kind. Month arithmetic is PostgreSQL's on the UTC wall clock:
    # Jan 31 + 1 month is Feb 28/29. None past recurrence_end_date (a date includes its day).
    f"next AS (SELECT done.*, (COALESCE(due_at, updated_at) AT TIME ZONE 'UTC' + {_PERIOD}) AT TIME ZONE 'UTC' AS next_due "
    "FROM done WHERE successor IS NOT NULL), "
    f"made AS (INSERT INTO {TASKS_TABLE} (id, user_id, title, description, is_completed, priority, due_date, due_date_kind, "
    "recurrence_pattern, recurrence_end_date, recurrence_end_date_kind) "
    "SELECT successor, user_id, title, description, FALSE, priority, next_due, COALESCE(due_kind, 'instant'), "
    "recurrence_pattern, end_at, end_kind FROM next WHERE end_at IS NULL OR next_due < end_at + "
    "CASE end_kind WHEN 'date' THEN interval '1 day' ELSE interval '1 microsecond' END RETURNING id), "
    f"linked AS (INSERT INTO {TASK_TAGS_TABLE} (task_id, tag_id, user_id) SELECT made.id, l.tag_id, l.user_id "
    f"FROM made, {TASK_TAGS_TABLE} l WHERE l.task_id = %(task)s) "
    f"SELECT {', '.join(TASK_FIELDS)}, change_seq FROM done"
)
TOGGLE_SQL = _COMPLETE.format(value="NOT old.is_completed", only_open="")
COMPLETE_SQL = _COMPLETE.format(value="TRUE", only_open=" AND NOT is_completed")


def _completion(sql: str, user_id: str, task_id: int) -> dict[str, Any] | None:
    with connections[Task.objects.db].cursor() as cursor:
        cursor.execute(sql, {"task": task_id, "user": user_id})
        row = cursor.fetchone()
    return None if row is None else task_of(row)


def toggle(user_id: str, task_id: int) -> dict[str, Any] | None:
    """Flip `is_completed` in the database, so parallel toggles never cancel out."""
    return _completion(TOGGLE_SQL, user_id, task_id)


def complete(user_id: str, task_id: int) -> dict[str, Any] | None:
    """Complete the task if it is open (None when it is not, or not the user's)."""
    return _completion(COMPLETE_SQL, user_id, task_id)

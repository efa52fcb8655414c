"""Completing a task, and the next occurrence of a recurring one, in one statement.

Exactly once: the completing UPDATE locks the row first (the FOR UPDATE subquery `old`,
which after waiting for a parallel completion reads the row as that one left it) and
claims a successor id into `next_occurrence_id` only when the task was open and had
none. A parallel completion then finds the task completed or the claim made;
re-opening and completing again finds the claim. The successor and its tag links are
inserted by the same statement, so they commit (or not) with the completion.
"""
import functools
from typing import Any

from .models import Task, TaskTag
from .sql import NOW, TASK_FIELDS, execute_one, table, task_columns, task_of

_SPAWNS = "NOT old.is_completed AND t.recurrence_pattern IS NOT NULL AND old.next_occurrence_id IS NULL"
_PERIOD = "CASE recurrence_pattern WHEN 'daily' THEN interval '1 day' WHEN 'weekly' THEN interval '7 days' ELSE interval '1 month' END"


@functools.cache
def _completion_sql(value: str, only_open: str) -> str:
    """The completing statement; `value`: the new is_completed, `only_open`: narrows the
    rows a PATCH may complete."""
    tasks, links = table(Task), table(TaskTag)
    return (
        f"WITH done AS (UPDATE {tasks} t SET is_completed = {value}, updated_at = {NOW}, "
        f"next_occurrence_id = CASE WHEN {_SPAWNS} THEN nextval(pg_get_serial_sequence('{tasks}', 'id')) "
        "ELSE t.next_occurrence_id END "
        f"FROM (SELECT id, is_completed, next_occurrence_id FROM {tasks} WHERE id = %(task)s AND user_id = %(user)s"
        f"{only_open} FOR UPDATE) old "
        f"WHERE t.id = old.id RETURNING {task_columns('t')}, CASE WHEN {_SPAWNS} THEN t.next_occurrence_id END AS successor, "
        "t.due_date AS due_at, t.due_date_kind AS due_kind, t.recurrence_end_date AS end_at, "
        "t.recurrence_end_date_kind AS end_kind), "
        # The successor: same title, description, priority, tags, pattern and end date, due
        # one period after the completed task's due date (or after its completion when it had
        # none), in the same kind. Month arithmetic is PostgreSQL's on the UTC wall clock:
        # Jan 31 + 1 month is Feb 28/29. None past recurrence_end_date (a date includes its day).
        f"next AS (SELECT done.*, (COALESCE(due_at, updated_at) AT TIME ZONE 'UTC' + {_PERIOD}) AT TIME ZONE 'UTC' AS next_due "
        "FROM done WHERE successor IS NOT NULL), "
        f"made AS (INSERT INTO {tasks} (id, user_id, title, description, is_completed, priority, due_date, due_date_kind, "
        "recurrence_pattern, recurrence_end_date, recurrence_end_date_kind) "
        "SELECT successor, user_id, title, description, FALSE, priority, next_due, COALESCE(due_kind, 'instant'), "
        "recurrence_pattern, end_at, end_kind FROM next WHERE end_at IS NULL OR next_due < end_at + "
        "CASE end_kind WHEN 'date' THEN interval '1 day' ELSE interval '1 microsecond' END RETURNING id), "
        f"linked AS (INSERT INTO {links} (task_id, tag_id, user_id) SELECT made.id, l.tag_id, l.user_id "
        f"FROM made, {links} l WHERE l.task_id = %(task)s) "
        f"SELECT {', '.join(TASK_FIELDS)}, change_seq FROM done"
    )


TOGGLE = ("NOT old.is_completed", "")
COMPLETE = ("TRUE", " AND NOT is_completed")


def _completion(kind: tuple[str, str], user_id: str, task_id: int) -> dict[str, Any] | None:
    row = execute_one(_completion_sql(*kind), {"task": task_id, "user": user_id})
    return None if row is None else task_of(row)


def toggle(user_id: str, task_id: int) -> dict[str, Any] | None:
    """Flip `is_completed` in the database, so parallel toggles never cancel out."""
    return _completion(TOGGLE, user_id, task_id)


def complete(user_id: str, task_id: int) -> dict[str, Any] | None:
    """Complete the task if it is open (None when it is not, or not the user's)."""
    return _completion(COMPLETE, user_id, task_id)

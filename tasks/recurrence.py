"""Completing a task, and the next occurrence of a recurring one, in one statement.

Exactly once: the completing UPDATE locks the row first (the FOR UPDATE CTE `old`,
which after waiting for a parallel completion reads the row as that one left it) and
claims a successor id into `next_occurrence_id` only when the task was open and had
none. A parallel completion then finds the task completed or the claim made;
re-opening and completing again finds the claim. The successor and its tag links are
inserted by the same statement, so they commit (or not) with the completion.

A PATCH that completes writes its other fields in the same UPDATE (the successor copies
them: RETURNING gives the row as written), and answers the task as `old` locked it when
there was nothing to write: one statement, no transaction (issue 21; it was BEGIN, the
UPDATE, a SELECT and COMMIT). `old` is the locked row, not a second read of the table:
a plain SELECT in the same statement would see the row as it was before a parallel
completion that this one waited for.
"""
import functools
from typing import Any

from .models import Task, TaskTag
from .rows import column_values
from .sql import NOW, TASK_FIELDS, TaskRow, execute_one, table, task_columns, task_of

_PERIOD = "CASE recurrence_pattern WHEN 'daily' THEN interval '1 day' WHEN 'weekly' THEN interval '7 days' ELSE interval '1 month' END"


def _spawns(pattern: str) -> str:
    """The completion creates the next occurrence: it found the task open without one,
    and the task (with `pattern`, its recurrence as written) recurs."""
    return f"NOT old.was_completed AND {pattern} IS NOT NULL AND old.had_next IS NULL"


@functools.cache
def _completion_sql(toggle: bool, columns: tuple[str, ...] = (), touch: bool = False) -> str:
    """The completing statement. `toggle`: flip is_completed (the /complete route);
    otherwise complete an open task and also write `columns` (%(c_<name>)s each), or
    only those when it was already completed, or nothing when they do not differ
    (`touch`: write updated_at anyway, its tags changed)."""
    tasks, links = table(Task), table(TaskTag)
    assignments = "".join(f"{name} = %(c_{name})s, " for name in columns)
    if toggle:
        value, writes = "NOT old.was_completed", "TRUE"
    else:
        differs = "TRUE" if touch else " OR ".join(f"t.{name} IS DISTINCT FROM %(c_{name})s" for name in columns)
        value, writes = "TRUE", f"(NOT old.was_completed{f' OR {differs}' if differs else ''})"
    # SET expressions read the row before this UPDATE, RETURNING the row after it.
    new_pattern = "CAST(%(c_recurrence_pattern)s AS varchar)" if "recurrence_pattern" in columns else "t.recurrence_pattern"
    # The task as it stands, when nothing is written; the toggle always writes.
    shown = "" if toggle else f"{task_columns('x')}, "
    return (
        f"WITH old AS (SELECT {shown}x.id AS locked_id, x.is_completed AS was_completed, "
        f"x.next_occurrence_id AS had_next FROM {tasks} x WHERE x.id = %(task)s AND x.user_id = %(user)s FOR UPDATE), "
        f"done AS (UPDATE {tasks} t SET {assignments}is_completed = {value}, updated_at = {NOW}, "
        f"next_occurrence_id = CASE WHEN {_spawns(new_pattern)} THEN nextval(pg_get_serial_sequence('{tasks}', 'id')) "
        "ELSE t.next_occurrence_id END "
        f"FROM old WHERE t.id = old.locked_id AND {writes} "
        f"RETURNING {task_columns('t')}, CASE WHEN {_spawns('t.recurrence_pattern')} THEN t.next_occurrence_id END AS successor, "
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
        + ("" if toggle else f" UNION ALL SELECT {', '.join(TASK_FIELDS)}, change_seq FROM old "
                             "WHERE NOT EXISTS (SELECT FROM done)")
    )


def _completion(sql: str, params: dict[str, Any]) -> TaskRow | None:
    row = execute_one(sql, params)
    return None if row is None else task_of(row)


def toggle(user_id: str, task_id: int) -> TaskRow | None:
    """Flip `is_completed` in the database, so parallel toggles never cancel out."""
    return _completion(_completion_sql(True), {"task": task_id, "user": user_id})


def complete(user_id: str, task_id: int, changes: dict[str, Any] | None = None, touch: bool = False) -> TaskRow | None:
    """Complete the task if it is open, writing `changes` (writable fields) with it;
    the task as it then stands, or None when it is not the user's. `touch`: its tags
    changed, so updated_at moves even when nothing else does."""
    columns = column_values({name: value for name, value in (changes or {}).items() if name != "is_completed"})
    params = {"task": task_id, "user": user_id, **{f"c_{name}": value for name, value in columns.items()}}
    return _completion(_completion_sql(False, tuple(columns), touch), params)

"""One task's row: read, insert, change or delete it, each one fixed statement that names
its owner, so no caller can forget it: the task of another user is the same 404 as no
task. Django's query compiler cost more than the database did for these
(bench/RESULTS.md); every one answers the task as tasks.sql renders it."""
from typing import Any

from .models import MOMENT_FIELDS, WRITABLE_FIELDS, Task
from .sql import NOW, TaskRow, execute, execute_one, table, task_columns, task_of


def column_values(changes: dict[str, Any]) -> dict[str, Any]:
    """Field values as column values: a moment (value, kind) becomes its two columns.
    Only WRITABLE_FIELDS: the names become SQL identifiers."""
    if not changes.keys() <= WRITABLE_FIELDS:
        raise ValueError(f"Not writable: {sorted(changes.keys() - WRITABLE_FIELDS)}")
    columns: dict[str, Any] = {}
    for name, value in changes.items():
        if name in MOMENT_FIELDS:
            columns[name], columns[f"{name}_kind"] = value
        else:
            columns[name] = value
    return columns


def _task(sql: str, params: list[Any]) -> TaskRow | None:
    row = execute_one(sql, params)
    return None if row is None else task_of(row)


def task_row(user_id: str, task_id: int) -> TaskRow | None:
    """One task as the API shows it, or None."""
    return _task(f"SELECT {task_columns('t')} FROM {table(Task)} t WHERE t.id = %s AND t.user_id = %s", [task_id, user_id])


def insert_task(user_id: str, fields: dict[str, Any]) -> TaskRow:
    """Insert a task (tags apart: tasks.tagging) and answer it as the API shows it."""
    columns = {"user_id": user_id, **column_values(fields)}
    names = ", ".join(columns)
    placeholders = ", ".join(["%s"] * len(columns))
    row = _task(f"INSERT INTO {table(Task)} AS t ({names}) VALUES ({placeholders}) RETURNING {task_columns('t')}",
                list(columns.values()))
    assert row is not None
    return row


def change_task(user_id: str, task_id: int, changes: dict[str, Any], touch: bool = False) -> TaskRow | None:
    """Write the fields of `changes` that differ; return the task as it then stands.

    One UPDATE that names only the given columns, so concurrent changes of other
    fields are never overwritten by a stale copy; a change that alters nothing
    writes nothing and leaves `updated_at` alone (the row is then read instead, within
    the same statement). `touch` writes `updated_at` even so: the task's tags changed.
    """
    columns = column_values(changes)
    if not columns and not touch:
        return task_row(user_id, task_id)
    assignments = "".join(f"{name} = %s, " for name in columns)
    differs = "TRUE" if touch else " OR ".join(f"t.{name} IS DISTINCT FROM %s" for name in columns)
    values = list(columns.values())
    tasks = table(Task)
    return _task(
        f"WITH updated AS (UPDATE {tasks} t SET {assignments}updated_at = {NOW} "
        f"WHERE t.id = %s AND t.user_id = %s AND ({differs}) RETURNING {task_columns('t')}) "
        f"SELECT * FROM updated UNION ALL SELECT {task_columns('t')} FROM {tasks} t "
        f"WHERE t.id = %s AND t.user_id = %s AND NOT EXISTS (SELECT FROM updated)",
        [*values, task_id, user_id, *([] if touch else values), task_id, user_id],
    )


def delete_task(user_id: str, task_id: int) -> bool:
    """Delete one task with one DELETE (Django's delete() wraps it in a transaction,
    two more round trips, for cascades that the database does itself: task_tags)."""
    return execute(f"DELETE FROM {table(Task)} WHERE id = %s AND user_id = %s", [task_id, user_id]) > 0

"""How a task is shown: the one SELECT list that every route, the admin and the commands
read a task through (GET one, list, create, PATCH, PUT, /complete, the tag routes).

The database renders it: moments (due_date, recurrence_end_date) as the text they were
given in, and the task's tags as one JSON array, by name, in the same row. A list of
1,000 tasks with tags is therefore still one SELECT, and the Python side only zips
column names onto rows.
"""
from typing import Any

# The tables, named once: the models' Meta.db_table and every SQL string use these.
TASKS_TABLE = "tasks"
TAGS_TABLE = "tags"
TASK_TAGS_TABLE = "task_tags"
# A task as the API shows it: the contract's key order, then the phase V fields.
TASK_FIELDS = [
    "id", "user_id", "title", "description", "is_completed", "created_at", "updated_at",
    "priority", "due_date", "recurrence_pattern", "recurrence_end_date", "tags",
]
TAG_FIELDS = ["id", "name", "color", "created_at"]
# What Django's Now() compiles to on PostgreSQL: every timestamp from the database clock.
NOW = "STATEMENT_TIMESTAMP()"


def moment_sql(column: str) -> str:
    """A timestamptz plus its kind as the API shows it: a date as YYYY-MM-DD, a floating
    time without offset (seconds always, microseconds when there are any), an instant in
    UTC with Z. AT TIME ZONE 'UTC' makes it independent of the session's time zone."""
    utc = f"({column} AT TIME ZONE 'UTC')"
    fraction = f"CASE WHEN date_trunc('second', {column}) = {column} THEN '' ELSE to_char({utc}, '.US') END"
    return (
        f"CASE {column}_kind WHEN 'date' THEN to_char({utc}, 'YYYY-MM-DD') "
        f"ELSE to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || {fraction} "
        f"|| CASE {column}_kind WHEN 'instant' THEN 'Z' ELSE '' END END"
    )


def tags_sql(task_id: str) -> str:
    """The task's tags as a JSON array of {id, name, color}, by name ([] when none):
    one index lookup on task_tags' unique (task_id, tag_id) per task."""
    return (
        "COALESCE((SELECT json_agg(json_build_object('id', g.id, 'name', g.name, 'color', g.color) "
        f"ORDER BY g.name, g.id) FROM {TASK_TAGS_TABLE} l JOIN {TAGS_TABLE} g ON g.id = l.tag_id WHERE l.task_id = {task_id}), '[]'::json)"
    )


def task_columns(alias: str) -> str:
    """The SELECT (or RETURNING) list of TASK_FIELDS for the tasks row named `alias`."""
    a = alias
    expressions = [
        f"{a}.id", f"{a}.user_id", f"{a}.title", f"{a}.description", f"{a}.is_completed",
        f"{a}.created_at", f"{a}.updated_at", f"{a}.priority", moment_sql(f"{a}.due_date"),
        f"{a}.recurrence_pattern", moment_sql(f"{a}.recurrence_end_date"), tags_sql(f"{a}.id"),
    ]
    # Named, so a CTE of them can be selected from by name (tasks.recurrence).
    return ", ".join(f"{expression} AS {name}" for expression, name in zip(expressions, TASK_FIELDS))


def task_of(row: tuple[Any, ...]) -> dict[str, Any]:
    """A row of task_columns() as the API's task."""
    return dict(zip(TASK_FIELDS, row))


def tag_of(row: tuple[Any, ...]) -> dict[str, Any]:
    return dict(zip(TAG_FIELDS, row))

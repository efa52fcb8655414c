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


# A task's tags as a JSON array of {id, name, color}, by name.
TAGS_JSON = "json_agg(json_build_object('id', g.id, 'name', g.name, 'color', g.color) ORDER BY g.name, g.id)"


def tags_sql(task_id: str) -> str:
    """One task's tags ([] when none): an index lookup on task_tags' unique (task_id, tag_id)."""
    return (f"COALESCE((SELECT {TAGS_JSON} FROM {TASK_TAGS_TABLE} l JOIN {TAGS_TABLE} g ON g.id = l.tag_id "
            f"WHERE l.task_id = {task_id}), '[]'::json)")


def user_tags_join(alias: str) -> str:
    """For a list: the tags of all the user's tasks, aggregated once and hash-joined
    (one pass over the user's links, task_tags_user_task) instead of a subquery per row;
    the first %s is the user id. Use with task_columns(alias, tags=USER_TAGS)."""
    return (f"LEFT JOIN (SELECT l.task_id, {TAGS_JSON} AS tags FROM {TASK_TAGS_TABLE} l JOIN {TAGS_TABLE} g "
            f"ON g.id = l.tag_id WHERE l.user_id = %s GROUP BY l.task_id) tg ON tg.task_id = {alias}.id")


USER_TAGS = "COALESCE(tg.tags, '[]'::json)"


def task_columns(alias: str, tags: str | None = None) -> str:
    """The SELECT (or RETURNING) list of TASK_FIELDS for the tasks row named `alias`;
    `tags` replaces the per-row tags subquery (USER_TAGS, in a list)."""
    a = alias
    expressions = [
        f"{a}.id", f"{a}.user_id", f"{a}.title", f"{a}.description", f"{a}.is_completed",
        f"{a}.created_at", f"{a}.updated_at", f"{a}.priority", moment_sql(f"{a}.due_date"),
        f"{a}.recurrence_pattern", moment_sql(f"{a}.recurrence_end_date"), tags or tags_sql(f"{a}.id"),
    ]
    # Named, so a CTE of them can be selected from by name (tasks.recurrence). Then the
    # change number, which is no part of the body: the ETag (tasks.conditional).
    named = ", ".join(f"{expression} AS {name}" for expression, name in zip(expressions, TASK_FIELDS))
    return f"{named}, {a}.change_seq AS change_seq"


class TaskRow(dict):
    """A task as the API shows it (renders as the plain dict), and its change number."""

    def __init__(self, fields: Any, change_seq: int) -> None:
        super().__init__(fields)
        self.change_seq = change_seq


def task_of(row: tuple[Any, ...]) -> TaskRow:
    """A row of task_columns() as the API's task (zip() stops before change_seq)."""
    return TaskRow(zip(TASK_FIELDS, row), change_seq=row[len(TASK_FIELDS)])


def tag_of(row: tuple[Any, ...]) -> dict[str, Any]:
    return dict(zip(TAG_FIELDS, row))

"""The one SQL path: every raw statement of the app is written with these names and run
through these functions (the session setup in tasks.apps aside: it runs inside
connection_created, on the connection being made).

- Tables are named from the models' `Meta.db_table`, quoted by the connection
  (`table(Task)`): no table name is ever a literal in SQL.
- `cursor()` hands out Django's cursor of the default database; `execute()`,
  `execute_one()` and `execute_all()` run one statement and answer its row count, its
  one row (or None), or all its rows; the first two on the connection's kept cursor
  (tasks.database.backend: no cursor made per statement). `many_rows=True` parses timestamps with
  psycopg's C loader (a list of 1,000 tasks holds 2,000 of them).
- How a task is shown is rendered by the database, in the one SELECT list every route,
  the admin and the commands read a task through (`task_columns`): moments (due_date,
  recurrence_end_date) as the text they were given in, and the task's tags as one JSON
  array, by name, in the same row. A list of 1,000 tasks with tags is therefore still
  one SELECT, and the Python side only zips column names onto rows (`task_of`).

Every value is a parameter (%s); f-strings interpolate only these names and checked
identifiers. The fragments are cached: they depend only on their arguments and the
models, and rebuilding them was 13 % of a GET's statement path (issue 21, bench/RESULTS.md).
"""
import datetime
import functools
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from django.db import connection, models
from django.db.backends.utils import CursorWrapper
from psycopg.adapt import Loader
from psycopg.postgres import types
from psycopg.pq import Format

from .models import Tag, TaskTag

Params = Sequence[Any] | dict[str, Any] | None


# --- Tables and statements ---------------------------------------------------------------------
@functools.cache
def table(model: type[models.Model]) -> str:
    """The model's table, quoted, as its Meta names it."""
    return connection.ops.quote_name(model._meta.db_table)


@contextmanager
def cursor(many_rows: bool = False, prepared: bool = True) -> Iterator[CursorWrapper]:
    """Django's cursor of the default database (its deadline, timeouts and error mapping
    included), binding on the server so that the statement can be prepared
    (tasks.database.backend's statement_cursor); `many_rows`: timestamps parsed in C (see
    parse_timestamps_in_c). `prepared=False` for a statement whose best plan depends on
    its values: after five runs PostgreSQL may settle on a generic plan for a prepared
    statement, which for "change_seq > $since" scans the owner's whole history (the
    change feed: 438 -> 84 req/s in bench/run)."""
    with connection.statement_cursor(kept=False) if prepared else connection.cursor() as wrapper:
        if many_rows:
            parse_timestamps_in_c(wrapper.cursor)
        yield wrapper


# `%%` is a literal percent sign; a named parameter is `%(name)s`.
_NAMED_OR_PERCENT = re.compile(r"%%|%\((\w+)\)s")


@functools.lru_cache(maxsize=512)
def positional_sql(sql: str) -> tuple[str, tuple[str, ...]]:
    """`sql` with each `%(name)s` occurrence its own `%s`, and the names in that order."""
    names: list[str] = []

    def placeholder(match: re.Match[str]) -> str:
        if match[1] is None:
            return "%%"
        names.append(match[1])
        return "%s"

    return _NAMED_OR_PERCENT.sub(placeholder, sql), tuple(names)


def positional(sql: str, params: Params) -> tuple[str, Params]:
    """Named parameters as positional ones, one per occurrence. Bound on the server, a
    named parameter used twice would be one $n whose type the server deduces from both
    places: a None set as a varchar column and tested as text is "inconsistent types
    deduced for parameter" (the fuzzer's PATCH with `recurrence_pattern: null`,
    tasks.recurrence). One $n per place is typed by that place alone, as client binding
    types each inlined value, so statements with named parameters (the completion, the
    tag writes) are prepared like the rest: `/complete` 740 -> 1,059 req/s bound on the
    server (bench/RESULTS.md, 2026-12-03, run 5). psycopg has no such conversion (its
    named placeholders become one $n per name)."""
    if not isinstance(params, dict):
        return sql, params
    text, names = positional_sql(sql)
    return text, [params[name] for name in names]


def execute(sql: str, params: Params = None) -> int:
    """Run one statement; its row count (rows written, or selected by a SELECT)."""
    c = connection.statement_cursor()
    c.execute(*positional(sql, params))
    return c.rowcount


def execute_one(sql: str, params: Params = None) -> tuple[Any, ...] | None:
    """Run one statement that returns rows; its first row, or None."""
    c = connection.statement_cursor()
    c.execute(*positional(sql, params))
    return c.fetchone()


def execute_all(sql: str, params: Params = None, many_rows: bool = False,
                prepared: bool = True) -> list[tuple[Any, ...]]:
    """Run one statement; all its rows."""
    with cursor(many_rows, prepared) as c:
        c.execute(*positional(sql, params))
        return c.fetchall()


# --- A fast timestamptz loader for sessions whose TimeZone is UTC (tasks.apps installs it) ------
TIMESTAMPTZ_OID = types["timestamptz"].oid


class _UTCTimestamptzLoader(Loader):
    """Delegates to psycopg's default (C, when psycopg[binary] is installed) loader.

    `timezone` is what Django's cursor factory compares with the connection's timezone
    before installing its own loader again; it must say UTC, and it is true: the
    session's TimeZone is checked to be UTC before this loader is registered.
    """

    timezone = datetime.timezone.utc
    base: type[Loader]

    def __init__(self, oid: int, context: Any = None) -> None:
        super().__init__(oid, context)
        self._load = self.base(oid, context).load

    def load(self, data: Any) -> datetime.datetime:
        return self._load(data)


def utc_timestamptz_loader(conn: psycopg.Connection) -> type[Loader] | None:
    """The loader class for `conn`, or None when the session is not in UTC."""
    if conn.info.parameter_status("TimeZone") not in {"UTC", "Etc/UTC"}:
        return None
    base = psycopg.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
    return type("UTCTimestamptzLoader", (_UTCTimestamptzLoader,), {"base": base})


def parse_timestamps_in_c(raw_cursor: psycopg.Cursor) -> None:
    """For a cursor about to fetch many rows: psycopg's C loader itself, without even the
    per-value Python call above, when this connection's loader is ours (session in UTC)."""
    loader = raw_cursor.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
    if loader is not None and issubclass(loader, _UTCTimestamptzLoader):
        raw_cursor.adapters.register_loader("timestamptz", loader.base)


# --- How a task is shown -----------------------------------------------------------------------
# A task as the API shows it: the contract's key order, then the phase V fields.
TASK_FIELDS = [
    "id", "user_id", "title", "description", "is_completed", "created_at", "updated_at",
    "priority", "due_date", "recurrence_pattern", "recurrence_end_date", "tags",
]
TAG_FIELDS = ["id", "name", "color", "created_at"]
# What Django's Now() compiles to on PostgreSQL: every timestamp from the database clock.
NOW = "STATEMENT_TIMESTAMP()"


@functools.cache
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


@functools.cache
def tags_sql(task_id: str) -> str:
    """One task's tags ([] when none): an index lookup on task_tags' unique (task_id, tag_id)."""
    return (f"COALESCE((SELECT {TAGS_JSON} FROM {table(TaskTag)} l JOIN {table(Tag)} g ON g.id = l.tag_id "
            f"WHERE l.task_id = {task_id}), '[]'::json)")


@functools.cache
def user_tags_join(alias: str) -> str:
    """For a list: the tags of all the user's tasks, aggregated once and hash-joined
    (one pass over the user's links, task_tags_user_task) instead of a subquery per row;
    the first %s is the user id. Use with task_columns(alias, tags=USER_TAGS)."""
    return (f"LEFT JOIN (SELECT l.task_id, {TAGS_JSON} AS tags FROM {table(TaskTag)} l JOIN {table(Tag)} g "
            f"ON g.id = l.tag_id WHERE l.user_id = %s GROUP BY l.task_id) tg ON tg.task_id = {alias}.id")


USER_TAGS = "COALESCE(tg.tags, '[]'::json)"


@functools.cache
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

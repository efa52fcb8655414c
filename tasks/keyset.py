"""Keyset pages of the task list: `limit` (1-200) and an opaque, signed `cursor`.

A page is "the first `limit` tasks after the cursor's (sort value, id)" in the list's own
order (tasks.listing's ORDER BY: the sort expression, then id, same direction). The
position is a value, not an offset, so tasks created or deleted elsewhere in the list
never shift a page: every task that exists for the whole walk appears exactly once.
Tasks without a due date come last in both orders, so they form a region of their own.

The cursor is `django.core.signing` (HMAC with SECRET_KEY) of the last row's sort value
and id plus a digest of the user and the query's filters and sort: a forged, truncated or
other-query cursor is a 422 at ["query", "cursor"], never a wrong page.
"""
import datetime
import hashlib
import re
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.db import connection
from django.http import QueryDict
from rest_framework.request import Request

from .db import parse_timestamps_in_c
from .exceptions import RequestValidationError
from .listing import SORT_EXPRESSIONS, ListQuery, TaskList, list_sql, parse_list_query
from .models import Task
from .rendering import task_of

MAX_LIMIT = 200
SALT = "tasks.keyset"
# The column each sort expression reads, and its type: the cursor's value goes through
# the same expression in SQL (lower() of a title is PostgreSQL's, never Python's).
SORT_COLUMNS = {"created_at": "timestamptz", "updated_at": "timestamptz", "priority": "text",
                "due_date": "timestamptz", "title": "text"}
INTEGER = re.compile(r"[+-]?[0-9]+")
INT_PARSING = "Input should be a valid integer, unable to parse string as an integer"


@dataclass(frozen=True)
class Page:
    """The page parameters of one list request: how many, and after which row."""

    limit: int | None
    after: tuple[Any, int] | None  # (sort column value, id) of the previous page's last row


def _error(name: str, msg: str, type_: str) -> dict[str, Any]:
    return {"loc": ["query", name], "msg": msg, "type": type_}


def query_digest(user_id: str, query: ListQuery) -> str:
    """What a cursor is bound to: the user, the filters and the sort (not the limit)."""
    normalised = (query.search, query.priority, tuple(sorted(query.tags)), query.is_completed, query.sort_by, query.order)
    return hashlib.sha256(repr((user_id, normalised)).encode()).hexdigest()[:32]


def limit_errors(params: QueryDict) -> tuple[int | None, list[dict[str, Any]]]:
    if "limit" not in params:
        return None, []
    raw = params.getlist("limit")[-1].strip()
    if not INTEGER.fullmatch(raw):  # ASCII digits: int() would also take "１" and "1_0"
        return None, [_error("limit", INT_PARSING, "int_parsing")]
    # Past 19 digits only the sign matters (and int() refuses 4,300 digits).
    value = int(raw) if len(raw) <= 19 else (-1 if raw.startswith("-") else MAX_LIMIT + 1)
    if value < 1:
        return None, [_error("limit", "Input should be greater than or equal to 1", "greater_than_equal")]
    if value > MAX_LIMIT:
        return None, [_error("limit", f"Input should be less than or equal to {MAX_LIMIT}", "less_than_equal")]
    return value, []


def parse_page(params: QueryDict, user_id: str, query: ListQuery | None, errors: list[dict[str, Any]]) -> Page:
    """`limit` and `cursor`; their errors join `errors` (the list query's), raised together."""
    limit, problems = limit_errors(params)
    errors = [*errors, *problems]
    after = None
    if "cursor" in params:
        try:
            data = signing.loads(params.getlist("cursor")[-1], salt=SALT)
            if query is not None and data["q"] != query_digest(user_id, query):
                errors.append(_error("cursor", "Value error, Cursor belongs to another query "
                                               "(other filters, sort or user)", "value_error"))
            elif query is not None:
                after = (_value(query.sort_by, data["v"]), int(data["id"]))
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            errors.append(_error("cursor", "Value error, Invalid cursor", "value_error"))
    if errors:
        raise RequestValidationError(errors)
    return Page(limit, after)


def _value(sort_by: str, raw: Any) -> Any:
    if raw is None:
        if sort_by != "due_date":  # only due dates are ever missing
            raise ValueError("null sort value")
        return None
    if SORT_COLUMNS[sort_by] == "timestamptz":
        return datetime.datetime.fromisoformat(raw)
    if not isinstance(raw, str):
        raise TypeError("not a string")
    return raw


def after_condition(query: ListQuery, after: tuple[Any, int]) -> tuple[str, list[Any]]:
    """The WHERE condition "after this (value, id)" in the list's order."""
    value, last_id = after
    op = ">" if query.order == "asc" else "<"
    column = query.sort_by
    expression = SORT_EXPRESSIONS[column]
    if value is None:  # inside the trailing no-due-date region: only id is left to order by
        return f"({expression} IS NULL AND t.id {op} %s)", [last_id]
    # The same expression applied to the cursor's value, typed so PostgreSQL picks the
    # same function (lower(text), the priority rank) as for the column.
    bound = expression.replace(f"t.{column}", f"%s::{SORT_COLUMNS[column]}")
    condition = f"({expression}, t.id) {op} ({bound}, %s)"
    if column == "due_date":  # the no-due-date region follows every dated task, both orders
        condition = f"({condition} OR {expression} IS NULL)"
    return condition, [value, last_id]


def cursor_after(user_id: str, query: ListQuery, row: dict[str, Any]) -> str:
    """The cursor of the page that starts after `row` (a task as the list shows it)."""
    return signing.dumps({"q": query_digest(user_id, query), "v": _raw_value(query.sort_by, row), "id": row["id"]},
                         salt=SALT)


def _raw_value(sort_by: str, row: dict[str, Any]) -> Any:
    value = row[sort_by]
    if sort_by == "due_date" and value is not None:
        # Shown as given (a date, a floating time, an instant in Z); every form reads as
        # the UTC moment that the list sorts by (tasks.listing: floating times as UTC).
        moment = datetime.datetime.fromisoformat(value.removesuffix("Z"))
        return moment.replace(tzinfo=datetime.timezone.utc).isoformat()
    return value.isoformat() if isinstance(value, datetime.datetime) else value


def list_page(request: Request, user_id: str, counted: bool) -> tuple[TaskList, int | None, dict[str, str]]:
    """The list route: its tasks, the size of the whole filtered list (when `counted`)
    and its headers (`Link` when a next page exists). Without limit or cursor it is the
    whole list, exactly as before."""
    params = request.query_params
    try:
        query, errors = parse_list_query(params), []
    except RequestValidationError as exc:  # reported together with limit's and cursor's
        query, errors = None, exc.errors
    page = parse_page(params, user_id, query, errors)
    if page.limit is None and page.after is None:
        tasks = Task.objects.listed(user_id, query)
        return tasks, len(tasks), {}
    extra = after_condition(query, page.after) if page.after else None
    sql, sql_params = list_sql(user_id, query, extra=extra, limit=None if page.limit is None else page.limit + 1,
                               with_version=True)
    with connection.cursor() as cursor:
        parse_timestamps_in_c(cursor.cursor)
        cursor.execute(sql, sql_params)
        rows = cursor.fetchall()
        # The owner's version comes with the rows (one snapshot): what the page's ETag is made of.
        tasks = TaskList([task_of(row) for row in rows], version=tuple(rows[0][-2:]) if rows else None)
        count = None
        if counted:
            whole, whole_params = list_sql(user_id, query)
            cursor.execute(f"SELECT count(*) FROM ({whole}) filtered", whole_params)
            count = cursor.fetchone()[0]
    headers = {}
    if page.limit is not None and len(tasks) > page.limit:
        tasks = TaskList(tasks[:page.limit], tasks.version)
        following = params.copy()
        following.setlist("cursor", [cursor_after(user_id, query, tasks[-1])])
        headers["Link"] = f'<{request.build_absolute_uri(f"{request.path}?{following.urlencode()}")}>; rel="next"'
    return tasks, count, headers

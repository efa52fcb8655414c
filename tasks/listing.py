"""The list route, GET /api/{user_id}/tasks, from its parameters to its page and version:
parse (filters, sort, `limit`, `cursor`) -> one SQL statement -> the page and its `Link`
-> the owner's version that the list's ETag is made of (tasks.conditional).

Pages are keysets: a page is "the first `limit` tasks after the cursor's (sort value,
id)" in the list's own order (the sort expression, then id, same direction). The
position is a value, not an offset, so tasks created or deleted elsewhere in the list
never shift a page: every task that exists for the whole walk appears exactly once.
Tasks without a due date come last in both orders, so they form a region of their own.

The cursor is `django.core.signing` (HMAC with SECRET_KEY) of the last row's sort value
and id plus a digest of the user and the query's filters and sort: a forged, truncated or
other-query cursor is a 422 at ["query", "cursor"], never a wrong page.
"""
import datetime
import hashlib
from dataclasses import dataclass, field
from typing import Any

from django.core import signing
from django.http import QueryDict
from rest_framework.request import Request

from .exceptions import RequestValidationError, error_item, literal_message
from .models import Priority, Tag, Task, TaskTag
from .params import limit_errors
from .sql import USER_TAGS, execute_all, execute_one, table, task_columns, task_of, user_tags_join
from .sync import owner_version_sql

SORTS = ["created_at", "updated_at", "priority", "due_date", "title"]
ORDERS = ["asc", "desc"]
# high > medium > low: the rank is what sorts (desc = high first).
PRIORITY_RANK = "CASE t.priority WHEN 'low' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END"
SORT_EXPRESSIONS = {
    "created_at": "t.created_at",
    "updated_at": "t.updated_at",
    "priority": PRIORITY_RANK,
    "due_date": "t.due_date",
    # Case-insensitive, as a person reads a list: "apple" before "Banana".
    "title": "lower(t.title)",
}
# The column each sort expression reads, and its type: the cursor's value goes through
# the same expression in SQL (lower() of a title is PostgreSQL's, never Python's).
SORT_COLUMNS = {"created_at": "timestamptz", "updated_at": "timestamptz", "priority": "text",
                "due_date": "timestamptz", "title": "text"}
BOOLEANS = {"true": True, "false": False}
CHOICES = {"priority": Priority.values, "is_completed": list(BOOLEANS), "sort_by": SORTS, "order": ORDERS}
NUL_ERROR = "Value error, String should not contain NUL characters"
BOOL_PARSING = "Input should be a valid boolean, unable to interpret input"
MAX_LIMIT = 200
SALT = "tasks.keyset"  # the cursors' signing salt: changing it voids every cursor out there


# --- Parameters ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ListQuery:
    search: str | None = None
    priority: str | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)
    is_completed: bool | None = None
    sort_by: str = "created_at"
    order: str = "desc"

    def sort_key(self) -> list[str]:
        """The ORDER BY terms, most significant first; ties always by id, same direction."""
        direction = "ASC" if self.order == "asc" else "DESC"
        # Tasks without a due date last in either order (NULLS LAST); the other sort
        # columns are NOT NULL.
        nulls = " NULLS LAST" if self.sort_by == "due_date" else ""
        return [f"{SORT_EXPRESSIONS[self.sort_by]} {direction}{nulls}", f"t.id {direction}"]

    def digest(self, user_id: str) -> str:
        """What a cursor is bound to: the user, the filters and the sort (not the limit)."""
        normalised = (self.search, self.priority, tuple(sorted(self.tags)), self.is_completed, self.sort_by, self.order)
        return hashlib.sha256(repr((user_id, normalised)).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Page:
    """The page parameters of one list request: how many, and after which row."""

    limit: int | None
    after: tuple[Any, int] | None  # (sort column value, id) of the previous page's last row

    def is_whole(self) -> bool:
        """Neither limit nor cursor: the whole list, exactly as before pages existed."""
        return self.limit is None and self.after is None


def parse_list_request(request: Request, user_id: str) -> tuple[ListQuery, Page]:
    """The list's filters, sort, limit and cursor; a 422 listing every bad one at once.
    Before any answer, a 304 included: an invalid query names no list to be unchanged."""
    params = request.query_params
    try:
        query, errors = parse_list_query(params), []
    except RequestValidationError as exc:  # reported together with limit's and cursor's
        query, errors = None, exc.errors
    return query, parse_page(params, user_id, query, errors)  # type: ignore[return-value]


def parse_list_query(params: QueryDict) -> ListQuery:
    """The list's parameters, strictly: an unknown value is a 422 at ["query", name]
    (every bad parameter at once); unknown parameters are ignored. A repeated scalar
    parameter counts by its last value, as FastAPI reads it."""
    errors: list[dict[str, Any]] = []
    values = {name: params.getlist(name)[-1] for name in ("search", "priority", "is_completed", "sort_by", "order")
              if name in params}
    for name, items in {"search": [values.get("search", "")], "tags": params.getlist("tags")}.items():
        if any("\x00" in item for item in items):
            errors.append(error_item(["query", name], NUL_ERROR, "value_error"))
    for name in ("priority", "is_completed", "sort_by", "order"):
        if name not in values or values[name] in CHOICES[name]:
            continue
        if name == "is_completed":
            errors.append(error_item(["query", name], BOOL_PARSING, "bool_parsing"))
        else:
            errors.append(error_item(["query", name], literal_message(CHOICES[name]), "literal_error"))
    if errors:
        raise RequestValidationError(errors)
    # Names are trimmed like tag names on write; an empty one (`?tags=`) filters nothing.
    tags = tuple(dict.fromkeys(name.strip() for name in params.getlist("tags") if name.strip()))
    return ListQuery(
        search=values.get("search") or None,
        priority=values.get("priority"),
        tags=tags,
        is_completed=BOOLEANS.get(values.get("is_completed", "")),
        sort_by=values.get("sort_by", "created_at"),
        order=values.get("order", "desc"),
    )


def parse_page(params: QueryDict, user_id: str, query: ListQuery | None, errors: list[dict[str, Any]]) -> Page:
    """`limit` and `cursor`; their errors join `errors` (the list query's), raised together."""
    limit, problems = limit_errors(params, MAX_LIMIT)
    errors = [*errors, *problems]
    after = None
    if "cursor" in params:
        try:
            data = signing.loads(params.getlist("cursor")[-1], salt=SALT)
            if query is not None and data["q"] != query.digest(user_id):
                errors.append(error_item(["query", "cursor"], "Value error, Cursor belongs to another query "
                                                              "(other filters, sort or user)", "value_error"))
            elif query is not None:
                after = (_value(query.sort_by, data["v"]), int(data["id"]))
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            errors.append(error_item(["query", "cursor"], "Value error, Invalid cursor", "value_error"))
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


# --- SQL ---------------------------------------------------------------------------------------
def like_pattern(text: str) -> str:
    """A substring pattern for ILIKE: the user's % and _ (and the escape) match themselves."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def list_sql(user_id: str, query: ListQuery, extra: tuple[str, list[Any]] | None = None,
             limit: int | None = None, with_version: bool = False) -> tuple[str, list[Any]]:
    """The SELECT for `query`: conditions use the indexes named in README ("List queries").
    `with_version` adds the owner's version (tasks.sync) as two trailing columns, read in
    the same snapshot as the rows: what the list's ETag is made of."""
    conditions = ["t.user_id = %s"]
    params: list[Any] = [user_id, user_id]  # the tags join's, then the condition's
    if query.is_completed is not None:
        conditions.append("t.is_completed = %s")
        params.append(query.is_completed)
    if query.priority is not None:
        conditions.append("t.priority = %s")
        params.append(query.priority)
    if query.search:
        conditions.append("(t.title ILIKE %s OR t.description ILIKE %s)")
        params += [like_pattern(query.search)] * 2
    if query.tags:
        # Tasks that have every one of the names: the links of the user's tags by those
        # names, counted per task (task_tags_tag_task serves the lookup by tag).
        conditions.append(
            f"t.id IN (SELECT l.task_id FROM {table(TaskTag)} l JOIN {table(Tag)} g ON g.id = l.tag_id "
            "WHERE g.user_id = %s AND g.name = ANY(%s) GROUP BY l.task_id HAVING count(*) = %s)"
        )
        params += [user_id, list(query.tags), len(query.tags)]
    if extra is not None:
        conditions.append(extra[0])
        params += extra[1]
    version = f", {owner_version_sql()}" if with_version else ""
    if with_version:
        params = [user_id, user_id, user_id, *params]  # the select list's, before the join's
    sql = (f"SELECT {task_columns('t', tags=USER_TAGS)}{version} FROM {table(Task)} t {user_tags_join('t')} "
           f"WHERE {' AND '.join(conditions)} "
           f"ORDER BY {', '.join(query.sort_key())}")
    if limit is not None:
        sql += " LIMIT %s"
        params.append(limit)
    return sql, params


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


# --- The page and its version ----------------------------------------------------------------------
Version = tuple[int | None, int | None] | None


class TaskList(list):
    """Tasks as the list route shows them, and the owner's (latest change number,
    horizon) when they were read; None for an empty list."""

    def __init__(self, rows: list[dict[str, Any]], version: Version) -> None:
        super().__init__(rows)
        self.version = version


def select_tasks(user_id: str, query: ListQuery, extra: tuple[str, list[Any]] | None = None,
                 limit: int | None = None) -> TaskList:
    """The tasks of one statement, with the owner's version read in the same snapshot."""
    # Prepared (tasks.sql): its text depends only on which filters and sort are used, not on values.
    rows = execute_all(*list_sql(user_id, query, extra=extra, limit=limit, with_version=True), many_rows=True)
    return TaskList([task_of(row) for row in rows], version=tuple(rows[0][-2:]) if rows else None)


def all_tasks(user_id: str) -> TaskList:
    """All of a user's tasks, newest first, as the list shows them (export_user)."""
    return select_tasks(user_id, ListQuery())


def list_version(user_id: str) -> Version:
    """The owner's (latest change number, horizon), read alone when a client revalidates
    a list (If-None-Match); None when there is no change to remember (the list is empty)."""
    row = execute_one(f"SELECT {owner_version_sql()}", [user_id, user_id, user_id])
    return None if row is None or row[0] is None else (row[0], row[1])


def list_page(request: Request, user_id: str, query: ListQuery, page: Page,
              counted: bool) -> tuple[TaskList, int | None, dict[str, str]]:
    """The list route: its tasks, the size of the whole filtered list (when `counted`)
    and its headers (`Link` when a next page exists). Without limit or cursor it is the
    whole list, exactly as before."""
    if page.is_whole():
        tasks = select_tasks(user_id, query)
        return tasks, len(tasks), {}
    extra = after_condition(query, page.after) if page.after else None
    tasks = select_tasks(user_id, query, extra, limit=None if page.limit is None else page.limit + 1)
    count = None
    if counted:
        whole, whole_params = list_sql(user_id, query)
        count = execute_one(f"SELECT count(*) FROM ({whole}) filtered", whole_params)[0]  # type: ignore[index]
    headers = {}
    if page.limit is not None and len(tasks) > page.limit:
        tasks = TaskList(tasks[:page.limit], tasks.version)
        following = request.query_params.copy()
        following.setlist("cursor", [cursor_after(user_id, query, tasks[-1])])
        headers["Link"] = f'<{request.build_absolute_uri(f"{request.path}?{following.urlencode()}")}>; rel="next"'
    return tasks, count, headers


def cursor_after(user_id: str, query: ListQuery, row: dict[str, Any]) -> str:
    """The cursor of the page that starts after `row` (a task as the list shows it)."""
    return signing.dumps({"q": query.digest(user_id), "v": _raw_value(query.sort_by, row), "id": row["id"]}, salt=SALT)


def _raw_value(sort_by: str, row: dict[str, Any]) -> Any:
    value = row[sort_by]
    if sort_by == "due_date" and value is not None:
        # Shown as given (a date, a floating time, an instant in Z); every form reads as
        # the UTC moment that the list sorts by (floating times as UTC).
        moment = datetime.datetime.fromisoformat(value.removesuffix("Z"))
        return moment.replace(tzinfo=datetime.timezone.utc).isoformat()
    return value.isoformat() if isinstance(value, datetime.datetime) else value

"""The list route's query: its parameters checked into a ListQuery, and the one SQL
statement that answers it (filters, sort, and the rendered tasks of tasks.rendering).

Keyset pagination builds on these two: `ListQuery.sort_key()` names the columns of the
ORDER BY, and `list_sql()` takes extra conditions and a LIMIT.
"""
from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict

from .exceptions import RequestValidationError
from .models import Priority
from .rendering import TAGS_TABLE, TASK_TAGS_TABLE, TASKS_TABLE, USER_TAGS, task_columns, task_of, user_tags_join
from .sync import sync_version_sql

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
BOOLEANS = {"true": True, "false": False}


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


def _literal(name: str, choices: list[str]) -> dict[str, Any]:
    quoted = [f"'{choice}'" for choice in choices]
    return {"loc": ["query", name], "msg": f"Input should be {', '.join(quoted[:-1])} or {quoted[-1]}", "type": "literal_error"}


NUL_ERROR = "Value error, String should not contain NUL characters"


def parse_list_query(params: QueryDict) -> ListQuery:
    """The list's parameters, strictly: an unknown value is a 422 at ["query", name]
    (every bad parameter at once); unknown parameters are ignored. A repeated scalar
    parameter counts by its last value, as FastAPI reads it."""
    errors: list[dict[str, Any]] = []
    values: dict[str, Any] = {}
    for name in ("search", "priority", "is_completed", "sort_by", "order"):
        if name in params:
            values[name] = params.getlist(name)[-1]
    texts = {"search": [values.get("search", "")], "tags": params.getlist("tags")}
    for name, items in texts.items():
        if any("\x00" in item for item in items):
            errors.append({"loc": ["query", name], "msg": NUL_ERROR, "type": "value_error"})
    if "priority" in values and values["priority"] not in Priority.values:
        errors.append(_literal("priority", Priority.values))
    if "is_completed" in values and values["is_completed"] not in BOOLEANS:
        errors.append({"loc": ["query", "is_completed"], "msg": "Input should be a valid boolean, unable to interpret input",
                       "type": "bool_parsing"})
    if "sort_by" in values and values["sort_by"] not in SORTS:
        errors.append(_literal("sort_by", SORTS))
    if "order" in values and values["order"] not in ORDERS:
        errors.append(_literal("order", ORDERS))
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


def like_pattern(text: str) -> str:
    """A substring pattern for ILIKE: the user's % and _ (and the escape) match themselves."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def list_sql(user_id: str, query: ListQuery, extra: tuple[str, list[Any]] | None = None,
             limit: int | None = None, with_version: bool = False) -> tuple[str, list[Any]]:
    """The SELECT for `query`: conditions use the indexes named in README ("List queries").
    `with_version` adds the owner's sync version (tasks.sync) as two trailing columns,
    read in the same snapshot as the rows: what the list's ETag is made of."""
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
            f"t.id IN (SELECT l.task_id FROM {TASK_TAGS_TABLE} l JOIN {TAGS_TABLE} g ON g.id = l.tag_id "
            "WHERE g.user_id = %s AND g.name = ANY(%s) GROUP BY l.task_id HAVING count(*) = %s)"
        )
        params += [user_id, list(query.tags), len(query.tags)]
    if extra is not None:
        conditions.append(extra[0])
        params += extra[1]
    version = f", {sync_version_sql()}" if with_version else ""
    if with_version:
        params = [user_id, user_id, user_id, *params]  # the select list's, before the join's
    sql = (f"SELECT {task_columns('t', tags=USER_TAGS)}{version} FROM {TASKS_TABLE} t {user_tags_join('t')} "
           f"WHERE {' AND '.join(conditions)} "
           f"ORDER BY {', '.join(query.sort_key())}")
    if limit is not None:
        sql += " LIMIT %s"
        params.append(limit)
    return sql, params


class TaskList(list):
    """Tasks as the list route shows them, and the owner's (latest change number,
    horizon) when they were read; None for an empty list."""

    def __init__(self, rows: list[dict[str, Any]], version: tuple[int | None, int | None] | None) -> None:
        super().__init__(rows)
        self.version = version


def select_rows(cursor: Any, user_id: str, query: ListQuery) -> TaskList:
    cursor.execute(*list_sql(user_id, query, with_version=True))
    rows = cursor.fetchall()
    return TaskList([task_of(row) for row in rows], version=tuple(rows[0][-2:]) if rows else None)

"""A user's tags, and the tags on their tasks.

Every change of a task's tags is also an UPDATE of that task's row (updated_at = now),
in the same transaction: the contract says a tag change changes updated_at, and
whatever watches task rows (triggers, the change feed) sees it as a task change.
"""
from typing import Any

from django.db import transaction
from rest_framework.exceptions import NotFound

from .exceptions import Conflict
from .models import Tag, Task, TaskTag
from .rows import change_task
from .sql import NOW, TAG_FIELDS, execute_all, execute_one, table, tag_of

_TAG_COLUMNS = ", ".join(TAG_FIELDS)


def _users_task(lock: bool = False) -> str:
    """The CTE `task`: the user's task %(task)s, or no row (another user's task is none)."""
    return f"task AS (SELECT id FROM {table(Task)} WHERE id = %(task)s AND user_id = %(user)s{' FOR UPDATE' if lock else ''})"


def set_task_tags(user_id: str, task_id: int, names: list[str]) -> bool:
    """Make `names` the task's tags, creating the user's missing tags; True when the
    task's links changed. One statement; nothing happens when the task is not the user's.

    A name created concurrently by another request is taken, not duplicated: the INSERT's
    ON CONFLICT ... DO UPDATE returns the existing row's id (DO NOTHING would return none).
    """
    tags, links = table(Tag), table(TaskTag)
    row = execute_one(
        f"WITH {_users_task()}, "
        "wanted AS (SELECT DISTINCT unnest(%(names)s::text[]) AS name), "
        f"known AS (SELECT g.id, g.name FROM {tags} g WHERE g.user_id = %(user)s AND g.name IN (SELECT name FROM wanted)), "
        f"created AS (INSERT INTO {tags} (user_id, name) SELECT %(user)s, w.name FROM wanted w "
        "WHERE EXISTS (SELECT FROM task) AND w.name NOT IN (SELECT name FROM known) "
        "ON CONFLICT (user_id, name) DO UPDATE SET name = EXCLUDED.name RETURNING id), "
        "ids AS (SELECT id FROM known UNION SELECT id FROM created), "
        f"removed AS (DELETE FROM {links} l WHERE l.task_id IN (SELECT id FROM task) "
        "AND l.tag_id NOT IN (SELECT id FROM ids) RETURNING 1), "
        f"added AS (INSERT INTO {links} (task_id, tag_id, user_id) SELECT task.id, ids.id, %(user)s "
        "FROM task, ids ON CONFLICT (task_id, tag_id) DO NOTHING RETURNING 1) "
        "SELECT (SELECT count(*) FROM removed) + (SELECT count(*) FROM added)",
        {"task": task_id, "user": user_id, "names": names},
    )
    assert row is not None
    return row[0] > 0


def list_tags(user_id: str) -> list[dict[str, Any]]:
    rows = execute_all(f"SELECT {_TAG_COLUMNS} FROM {table(Tag)} WHERE user_id = %s ORDER BY name, id", [user_id])
    return [tag_of(row) for row in rows]


def create_tag(user_id: str, name: str, color: str | None) -> dict[str, Any]:
    """A new tag; 409 when the user already has one by that name."""
    row = execute_one(
        f"INSERT INTO {table(Tag)} (user_id, name, color) VALUES (%s, %s, %s) "
        f"ON CONFLICT (user_id, name) DO NOTHING RETURNING {_TAG_COLUMNS}",
        [user_id, name, color],
    )
    if row is None:
        raise Conflict(f"Tag '{name}' already exists")
    return tag_of(row)


def delete_tag(user_id: str, tag_id: int) -> bool:
    """Delete the tag; every task that had it loses it (the links cascade) and is
    marked changed, in the same statement. False when the user has no such tag."""
    row = execute_one(
        f"WITH gone AS (DELETE FROM {table(Tag)} WHERE id = %(tag)s AND user_id = %(user)s RETURNING id), "
        f"touched AS (UPDATE {table(Task)} SET updated_at = {NOW} WHERE user_id = %(user)s AND id IN "
        f"(SELECT task_id FROM {table(TaskTag)} WHERE tag_id IN (SELECT id FROM gone)) RETURNING 1) "
        "SELECT count(*), (SELECT count(*) FROM touched) FROM gone",
        {"tag": tag_id, "user": user_id},
    )
    assert row is not None
    return row[0] > 0


def _on_users_task(ctes: str, select: str, user_id: str, task_id: int | None, tag_id: int | None,
                   lock: bool = False) -> tuple[Any, ...]:
    """Run `WITH task, <ctes> SELECT <select>` for the user's task %(task)s and tag %(tag)s:
    404 `Task not found` when the task is not the user's, else the selected columns."""
    row = execute_one(f"WITH {_users_task(lock)}, {ctes} SELECT EXISTS (SELECT FROM task), {select}",
                      {"task": task_id, "tag": tag_id, "user": user_id})
    if row is None or not row[0]:
        raise NotFound("Task not found")
    return row[1:]


def add_task_tag(user_id: str, task_id: int | None, tag_id: int | None) -> dict[str, Any]:
    """Put the user's tag on the user's task; the task as it then stands.
    404 `Task not found` / `Tag not found`, 409 when it is already there."""
    with transaction.atomic():
        tag_found, added = _on_users_task(
            f"tag AS (SELECT id FROM {table(Tag)} WHERE id = %(tag)s AND user_id = %(user)s), "
            f"added AS (INSERT INTO {table(TaskTag)} (task_id, tag_id, user_id) SELECT task.id, tag.id, %(user)s "
            "FROM task, tag ON CONFLICT (task_id, tag_id) DO NOTHING RETURNING 1)",
            "EXISTS (SELECT FROM tag), EXISTS (SELECT FROM added)", user_id, task_id, tag_id, lock=True)
        if not tag_found:
            raise NotFound("Tag not found")
        if not added:
            raise Conflict("Tag already assigned to this task")
        row = change_task(user_id, task_id, {}, touch=True)  # type: ignore[arg-type]
    assert row is not None
    return row


def remove_task_tag(user_id: str, task_id: int | None, tag_id: int | None) -> None:
    """Take the tag off the user's task: 404 `Task not found` / `Tag not assigned to this task`."""
    removed, _ = _on_users_task(
        f"removed AS (DELETE FROM {table(TaskTag)} WHERE task_id IN (SELECT id FROM task) AND tag_id = %(tag)s RETURNING 1), "
        f"touched AS (UPDATE {table(Task)} SET updated_at = {NOW} WHERE id IN (SELECT id FROM task) "
        "AND EXISTS (SELECT FROM removed) RETURNING 1)",
        "EXISTS (SELECT FROM removed), (SELECT count(*) FROM touched)", user_id, task_id, tag_id)
    if not removed:
        raise NotFound("Tag not assigned to this task")

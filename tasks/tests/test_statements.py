"""Statements per request as PostgreSQL receives them (issue 21): every message psycopg
sends that runs a statement, BEGIN, COMMIT and SAVEPOINT included.

Counted on the wire, from libpq's own protocol trace of the request's connection (a
simple-protocol `Query` or an extended-protocol `Execute` is one statement; a prepared
statement's `Parse` runs nothing). Django's query log misses exactly what matters here:
psycopg sends BEGIN by itself when Django leaves autocommit, and Django commits outside
its execute wrappers. The tests run outside pytest-django's wrapping transaction
(`transaction=True`), so a route's atomic() is a real BEGIN ... COMMIT, as in production.
"""
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from django.db import connection
from psycopg import pq

from tasks.models import Task
from tasks.owners import record_owner

pytestmark = pytest.mark.django_db(transaction=True)

# libpq's trace: one line per protocol message, "F" for those the client sends.
_MESSAGE = re.compile(r'^F\t\d+\t(?P<type>Query|Parse|Bind|Execute)\t (?P<fields>.*)$', re.MULTILINE)
_QUOTED = re.compile(r'"([^"]*)"')


def statements(trace: str, prepared: dict[str, str]) -> list[str]:
    """The first word of every statement run: a simple `Query`, or an `Execute` of the
    statement its `Bind` named (`prepared` before, or by a `Parse` in the trace)."""
    prepared = dict(prepared)
    bound, run = "", []
    for message in _MESSAGE.finditer(trace):
        kind, fields = message["type"], message["fields"]
        if kind == "Query":
            run.append(fields.strip('"').split(" ", 1)[0].upper())
        elif kind == "Parse":
            name, sql = _QUOTED.match(fields)[1], fields.split('" "', 1)[1]
            prepared[name] = sql.split(" ", 1)[0].upper()
        elif kind == "Bind":
            bound = prepared[_QUOTED.findall(fields)[1]]
        else:
            run.append(bound)
    return run


class Wire(list):
    """The statements a block ran (their first words), and libpq's whole trace of it."""

    trace = ""


@pytest.fixture
def sent() -> Callable[[], Any]:
    """`with sent() as wire:` lists what this process's connection runs in the block."""

    @contextmanager
    def record() -> Iterator[Wire]:
        connection.ensure_connection()
        pgconn = connection.connection.pgconn
        wire = Wire()
        with tempfile.TemporaryFile() as trace:
            pgconn.trace(trace.fileno())
            pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
            try:
                yield wire
            finally:
                pgconn.untrace()
            trace.seek(0)
            wire.trace = trace.read().decode(errors="replace")
        # What this session had prepared before the block, as the server knows it.
        with connection.cursor() as cursor:
            cursor.execute("SELECT name, split_part(statement, ' ', 1) FROM pg_prepared_statements")
            wire.extend(statements(wire.trace, dict(cursor.fetchall())))

    return record


@pytest.fixture(autouse=True)
def owner_already_recorded() -> None:
    # A subject's first request in a process writes its owner row once (test_owners.py
    # counts that); these count the steady state.
    record_owner({"sub": "user_a"})


def open_task(**fields: Any) -> Task:
    return Task.objects.create(user_id="user_a", title="A task", **fields)


def completed_task(**fields: Any) -> Task:
    return open_task(is_completed=True, **fields)


def recurring_task() -> Task:
    return open_task(recurrence_pattern="daily")


ROUTES = [
    # (case, task factory, method, path after /api/user_a/tasks, body, status, the statement)
    ("get", open_task, "get", "/{id}", None, 200, "SELECT"),
    ("list", open_task, "get", "", None, 200, "SELECT"),
    ("create", None, "post", "", {"title": "New"}, 201, "INSERT"),
    ("patch-title", open_task, "patch", "/{id}", {"title": "Renamed"}, 200, "WITH"),
    ("patch-same-title", open_task, "patch", "/{id}", {"title": "A task"}, 200, "WITH"),
    ("patch-nothing", open_task, "patch", "/{id}", {}, 200, "SELECT"),
    ("patch-completing", open_task, "patch", "/{id}", {"is_completed": True}, 200, "WITH"),
    ("patch-completing-completed", completed_task, "patch", "/{id}", {"is_completed": True}, 200, "WITH"),
    ("patch-reopening", completed_task, "patch", "/{id}", {"is_completed": False}, 200, "WITH"),
    ("patch-title-and-completing", open_task, "patch", "/{id}", {"title": "Done", "is_completed": True}, 200, "WITH"),
    ("patch-completing-recurring", recurring_task, "patch", "/{id}", {"is_completed": True}, 200, "WITH"),
    ("delete", open_task, "delete", "/{id}", None, 204, "DELETE"),
    ("complete", open_task, "patch", "/{id}/complete", None, 200, "WITH"),
    ("complete-recurring", recurring_task, "patch", "/{id}/complete", None, 200, "WITH"),
]


@pytest.mark.parametrize(("make", "method", "path", "body", "status", "statement"),
                         [pytest.param(*case[1:], id=case[0]) for case in ROUTES])
def test_route_sends_one_statement(api, sent, make, method, path, body, status, statement):
    task = make() if make else None
    url = "/api/user_a/tasks" + path.format(id=task and task.pk)

    with sent() as wire:
        response = getattr(api, method)(url, body, format="json")

    assert response.status_code == status, response.content
    assert wire == [statement]
    # A completed recurring task has its next occurrence, made by that one statement.
    recurs = make is recurring_task and (body is None or body.get("is_completed"))
    assert Task.objects.filter(user_id="user_a").count() == (2 if recurs else int(method not in ("delete",)))


@pytest.mark.parametrize(("make", "method", "path", "body"),
                         [pytest.param(*case[1:5], id=case[0]) for case in ROUTES])
def test_route_statement_is_prepared_once_per_connection(api, sent, make, method, path, body):
    # Named parameters included (the completion): tasks.sql.positional. The statement's
    # answer may change on repetition (a deleted task, a toggled one); its text does not.
    task = make() if make else None
    url = "/api/user_a/tasks" + path.format(id=task and task.pk)
    connection.ensure_connection()
    # One more than the threshold: a list's first request reads rows, the rest only the
    # owner's version (tasks.list_bodies).
    for _ in range(connection.connection.prepare_threshold + 2):
        getattr(api, method)(url, body, format="json")

    with sent() as wire:
        getattr(api, method)(url, body, format="json")

    assert "\tParse\t" not in wire.trace
    assert re.search(r'\tBind\t "" "_pg3_\d+"', wire.trace), wire.trace


ONE_ROW_ROUTES = [case for case in ROUTES if case[0] in {"get", "create", "patch-title", "delete"}]


@pytest.mark.parametrize(("make", "method", "path", "body"),
                         [pytest.param(*case[1:5], id=case[0]) for case in ONE_ROW_ROUTES])
def test_one_row_route_runs_on_the_connections_kept_cursor(api, monkeypatch, make, method, path, body):
    # The connection's kept cursor exists after its first statement (tasks.database.backend).
    api.get("/api/user_a/tasks/1")
    kept = connection.connection.taskflow_statement_cursor
    made: list[type] = []
    make_cursor = psycopg.Cursor.__init__
    monkeypatch.setattr(psycopg.Cursor, "__init__", lambda self, *a, **k: made.append(type(self)) or make_cursor(self, *a, **k))
    task = make() if make else None
    made.clear()

    getattr(api, method)("/api/user_a/tasks" + path.format(id=task and task.pk), body, format="json")

    assert made == []
    assert connection.connection.taskflow_statement_cursor is kept and not kept.closed


def test_behind_a_transaction_pooler_the_kept_cursor_binds_on_the_client(api, sent, monkeypatch):
    # settings.DB_POOLER=transaction gives connections no prepare_threshold: nothing prepared.
    connection.ensure_connection()
    monkeypatch.setattr(connection.connection, "prepare_threshold", None)
    monkeypatch.delattr(connection.connection, "taskflow_statement_cursor", raising=False)
    task = open_task()
    for _ in range(6):
        api.get(f"/api/user_a/tasks/{task.pk}")

    with sent() as wire:
        assert api.get(f"/api/user_a/tasks/{task.pk}").status_code == 200

    assert isinstance(connection.connection.taskflow_statement_cursor, psycopg.ClientCursor)
    assert wire == ["SELECT"] and "_pg3_" not in wire.trace


@pytest.mark.parametrize("header", ["", "Bearer not-a-jwt", "Basic abc"])
def test_refused_authentication_sends_nothing(client, sent, header):
    with sent() as wire:
        assert client.get("/api/user_a/tasks", HTTP_AUTHORIZATION=header).status_code == 401
    assert wire == []


def test_wrong_owner_is_refused_before_any_statement(client_for, sent):
    with sent() as wire:
        assert client_for("user_b").get("/api/user_a/tasks/1").status_code == 403
    assert wire == []


def test_patch_with_tags_is_one_transaction_of_two_statements(api, sent):
    # The tags are written first, by a statement of their own: a data-modifying CTE's
    # writes are invisible to the rest of its statement, so the completion's copy of the
    # links onto the next occurrence could not see them within one.
    task = open_task(recurrence_pattern="daily")

    with sent() as wire:
        response = api.patch(f"/api/user_a/tasks/{task.pk}", {"tags": ["home"], "is_completed": True}, format="json")

    assert response.status_code == 200 and [t["name"] for t in response.json()["tags"]] == ["home"]
    assert wire == ["BEGIN", "WITH", "WITH", "COMMIT"]
    successor = Task.objects.get(pk=Task.objects.get(pk=task.pk).next_occurrence_id)
    assert list(successor.tags.values_list("name", flat=True)) == ["home"]


def test_the_count_sees_begin_and_commit(sent):
    # The counter itself: a transaction's BEGIN and COMMIT are statements too.
    from django.db import transaction

    with sent() as wire, transaction.atomic():
        Task.objects.filter(user_id="nobody").exists()

    assert wire == ["BEGIN", "SELECT", "COMMIT"]


def test_the_list_is_prepared_and_planned_once_per_connection(api, sent, settings):
    settings.LIST_CACHE_MB = 0  # every request reads its rows (a kept body would skip them: test_list_bodies)
    open_task()
    for _ in range(connection.connection.prepare_threshold + 1):
        api.get("/api/user_a/tasks")

    with sent() as wire:
        assert api.get("/api/user_a/tasks").status_code == 200

    # No Parse: the Bind names the statement psycopg prepared (`_pg3_<n>`) on this connection.
    assert wire == ["SELECT"] and "\tParse\t" not in wire.trace
    assert re.search(r'\tBind\t "" "_pg3_\d+"', wire.trace), wire.trace


def test_a_repeated_unchanged_list_sends_one_statement_and_a_changed_one_two(api, sent):
    task = open_task()
    api.get("/api/user_a/tasks")
    with sent() as unchanged:
        api.get("/api/user_a/tasks")
    api.patch(f"/api/user_a/tasks/{task.pk}", {"title": "Changed"}, format="json")
    with sent() as changed:
        assert api.get("/api/user_a/tasks").json()[0]["title"] == "Changed"

    # The owner's version; after a change, the version, then the rows (tasks.list_bodies).
    assert (unchanged, changed) == (["SELECT"], ["SELECT", "SELECT"])


def test_the_change_feed_is_planned_for_its_values_never_prepared(api):
    open_task()
    for _ in range(connection.connection.prepare_threshold + 2):
        assert api.get("/api/user_a/changes").status_code == 200

    # A generic plan of "change_seq > $since" reads the owner's whole history (tasks.sql.cursor).
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%%UNION ALL%%'")
        assert cursor.fetchone() == (0,)

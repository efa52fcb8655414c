"""The private internals of gunicorn, psycopg and Django that our code relies on, checked
against what is installed, so that an upgrade which changes one fails here, by name,
instead of in production (issue 18).

Each package whose internals we use is pinned to a major.minor in requirements.in, with a
comment naming the module that relies on it; this file holds one row per hook. A row says
where the hook is, what shape we rely on, and which of our modules uses it. When an
upgrade breaks a row: read that module, adapt it, then move the pin and the row together.
"""
import inspect
import io
import re
from importlib.metadata import version
from pathlib import Path
from typing import Any, Callable

import pytest

REQUIREMENTS_IN = Path(__file__).resolve().parents[2] / "requirements.in"


def signature_of(dotted: str) -> str:
    module, _, name = dotted.rpartition(":")
    target: Any = __import__(module, fromlist=["_"])
    for part in name.split("."):
        target = getattr(target, part)
    return str(inspect.signature(target))


def attribute_set_by(factory: Callable[[], Any], attribute: str) -> Any:
    return getattr(factory(), attribute)


def gunicorn_unreader() -> Any:
    from gunicorn.http.unreader import Unreader

    return Unreader()


def gunicorn_length_reader() -> Any:
    from gunicorn.http.body import LengthReader

    return LengthReader(gunicorn_unreader(), 10)


def gunicorn_chunked_reader() -> Any:
    from gunicorn.http.body import ChunkedReader

    return ChunkedReader(object(), gunicorn_unreader())


# (hook, the signature we call or replace it with, the module that relies on it)
SIGNATURES = [
    ("gunicorn.workers.ggevent:GeventWorker.handle_request", "(self, listener_name, req, sock, addr)", "taskflow/server/workers.py"),
    ("gunicorn.workers.base_async:AsyncWorker.handle", "(self, listener, client, addr)", "taskflow/server/workers.py"),
    ("gunicorn.workers.base:Worker.handle_error", "(self, req, client, addr, exc)", "taskflow/server/workers.py"),
    ("gunicorn.arbiter:Arbiter.stop", "(self, graceful=True)", "taskflow/server/workers.py"),
    ("gunicorn.util:write_error", "(sock, status_int, reason, mesg)", "taskflow/server/workers.py"),
    ("gunicorn.util:write_nonblock", "(sock, data, chunked=False)", "taskflow/server/workers.py"),
    ("gunicorn.util:close_graceful", "(sock, timeout=2.0, max_drain=65536)", "taskflow/server/workers.py"),
    ("gunicorn.workers.base:Worker.load_wsgi", "(self)", "taskflow/server/workers.py"),
    # The application's start_response is this bound method; its Response is asked to force_close.
    ("gunicorn.http.wsgi:Response.start_response", "(self, status, headers, exc_info=None)", "taskflow/server/workers.py"),
    ("gunicorn.http.wsgi:Response.force_close", "(self)", "taskflow/server/workers.py"),
    ("django.db.backends.postgresql.base:DatabaseWrapper._commit", "(self)", "tasks/database/backend/base.py"),
    ("django.db.backends.postgresql.base:DatabaseWrapper._rollback", "(self)", "tasks/database/backend/base.py"),
    ("django.db.backends.postgresql.base:DatabaseWrapper.get_new_connection", "(self, conn_params)", "tasks/database/backend/base.py"),
    ("django.db.backends.base.base:BaseDatabaseWrapper._prepare_cursor", "(self, cursor)", "tasks/database/backend/base.py"),
]


@pytest.mark.parametrize(("hook", "expected", "user"), SIGNATURES, ids=[row[0] for row in SIGNATURES])
def test_hook_keeps_its_signature(hook: str, expected: str, user: str) -> None:
    assert signature_of(hook) == expected, f"{hook} changed: adapt {user}, then this row and the pin"


def server_binding_cursor() -> type | None:
    """Django's cursor class that binds on the server: a psycopg Cursor, not a ClientCursor."""
    import psycopg
    from django.db.backends.postgresql.base import ServerBindingCursor

    binds_on_server = issubclass(ServerBindingCursor, psycopg.Cursor) and not issubclass(
        ServerBindingCursor, psycopg.ClientCursor)
    return ServerBindingCursor if binds_on_server else None


# (what, how to get it, what it must be, the module that relies on it)
ATTRIBUTES = [
    ("Request.unreader.buf", lambda: attribute_set_by(gunicorn_unreader, "buf"), io.BytesIO, "taskflow/server/workers.py"),
    ("LengthReader.length", lambda: attribute_set_by(gunicorn_length_reader, "length"), int, "taskflow/server/workers.py"),
    ("ChunkedReader.parser", lambda: attribute_set_by(gunicorn_chunked_reader, "parser"), type(x for x in ()), "taskflow/server/workers.py"),
    ("Arbiter.LISTENERS", lambda: __import__("gunicorn.arbiter", fromlist=["_"]).Arbiter.LISTENERS, list, "taskflow/server/workers.py"),
    # Django's server-binding cursor class, which tasks.sql puts in a CursorWrapper for every statement.
    ("postgresql.base.ServerBindingCursor", server_binding_cursor, type, "tasks/sql.py"),
    # The logging HOWTO's switch for the caller lookup; None once tasks.logs is imported.
    ("logging._srcfile", lambda: (__import__("tasks.logs"), __import__("logging")._srcfile)[1], type(None), "tasks/logs.py"),
]


@pytest.mark.parametrize(("what", "get", "kind", "user"), ATTRIBUTES, ids=[row[0] for row in ATTRIBUTES])
def test_hook_keeps_its_attribute(what: str, get: Callable[[], Any], kind: type, user: str) -> None:
    assert isinstance(get(), kind), f"{what} is no longer a {kind.__name__}: adapt {user}, then this row and the pin"


def major_minor_pins() -> dict[str, str]:
    pins = {}
    for line in REQUIREMENTS_IN.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?~=(\d+)\.(\d+)\.\d+", line)
        if match:
            pins[match.group(1)] = f"{match.group(2)}.{match.group(3)}"
    return pins


def test_every_hooked_package_is_pinned_by_major_minor() -> None:
    # A hook's package without a ~= pin could be upgraded past the rows above unnoticed.
    assert set(major_minor_pins()) >= {"Django", "gunicorn", "psycopg"}


@pytest.mark.parametrize("package", sorted(major_minor_pins()))
def test_installed_version_is_the_pinned_major_minor(package: str) -> None:
    installed = ".".join(version(package).split(".")[:2])
    assert installed == major_minor_pins()[package]

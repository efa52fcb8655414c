"""The database session of every connection: what is set up once per physical connection
(connection_created), and what `migrate` stores for sessions a pooler opens."""
import datetime
from typing import Any


def session_timeouts() -> dict[str, int]:
    """The server-side bounds of every session, in ms (0: off): a statement, and a session
    left idle inside a transaction (a client that died holding row locks)."""
    from django.conf import settings

    return {
        "statement_timeout": settings.DB_STATEMENT_TIMEOUT_MS,
        "idle_in_transaction_session_timeout": settings.DB_IDLE_IN_TRANSACTION_TIMEOUT_MS,
    }


def set_session_timeouts(connection: Any) -> None:
    """Bound every statement, so a stuck database costs a request seconds, not a worker.

    Behind a transaction pooler (DB_POOLER=transaction: PgBouncer, Neon's pooled URL) a
    session SET would land on whichever server connection ran it and stay there for
    other clients, while ours run on others without it; there the timeouts are the role's
    settings in this database, stored by `migrate` (store_session_timeouts below)."""
    from django.conf import settings

    timeouts = {name: ms for name, ms in session_timeouts().items() if ms > 0}
    if timeouts and settings.DB_POOLER != "transaction":
        with connection.cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(["set_config(%s, %s, false)"] * len(timeouts)),
                           [value for name, ms in timeouts.items() for value in (name, f"{ms}ms")])


def store_session_timeouts(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """post_migrate: make the session timeouts this role's defaults in this database, so
    every server session a pooler opens starts with them (no SET, nothing left behind).
    Run by the Procfile's `release: migrate`, on the direct URL."""
    from django.db import connections
    from psycopg import sql

    connection = connections[using]
    if connection.vendor != "postgresql" or sender.name != "tasks":
        return
    database = sql.Identifier(connection.settings_dict["NAME"])
    with connection.cursor() as cursor:
        for name, ms in session_timeouts().items():
            change = sql.SQL("SET {} = {}").format(sql.Identifier(name), sql.Literal(f"{ms}ms")) if ms > 0 else \
                sql.SQL("RESET {}").format(sql.Identifier(name))
            statement = sql.SQL("ALTER ROLE CURRENT_USER IN DATABASE {} {}").format(database, change)
            cursor.execute(statement.as_string(cursor.connection))


def load_timestamps_in_c(connection: Any) -> None:
    """Parse timestamptz with psycopg's C loader instead of Django's pure-Python one.

    Django subclasses psycopg's Python loader to pin the tzinfo, which costs ~5 µs a value:
    2,000 timestamps make up most of a 1,000-task list. The C loader gives the same
    `datetime.timezone.utc` values when the session's TimeZone is UTC, which Django sets
    whenever its own timezone is UTC; otherwise Django's loader stays.
    """
    if connection.timezone != datetime.timezone.utc:
        return
    from tasks.sql import utc_timestamptz_loader

    loader = utc_timestamptz_loader(connection.connection)
    if loader is not None:
        connection.connection.adapters.register_loader("timestamptz", loader)


def load_json_with_orjson(connection: Any) -> None:
    """Parse `json` values (each listed task's tags) with orjson: psycopg's default,
    the standard library's json.loads, took longer than the whole query did."""
    import orjson
    from psycopg.types.json import set_json_loads

    set_json_loads(orjson.loads, connection.connection)


def configure_session(sender: Any, connection: Any, **kwargs: Any) -> None:
    """connection_created: the session's setup belongs to the physical connection, so it
    runs once per connection, even where Django sends the signal for every checkout of a
    reused one (a pool's: it cost 0.28 ms of CPU per request when repeated, bench/RESULTS.md)."""
    raw = connection.connection
    if connection.vendor != "postgresql" or getattr(raw, "taskflow_configured", False):
        return
    set_session_timeouts(connection)
    load_timestamps_in_c(connection)
    load_json_with_orjson(connection)
    raw.taskflow_configured = True

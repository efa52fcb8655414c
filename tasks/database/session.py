"""The database session of every connection: what is set up once per physical connection
(connection_created), and what `migrate` stores for sessions a pooler opens."""
import datetime
from typing import Any


def set_statement_timeout(connection: Any) -> None:
    """Bound every statement, so a stuck database costs a request seconds, not a worker.

    Behind a transaction pooler (DB_POOLER=transaction: PgBouncer, Neon's pooled URL) a
    session SET would land on whichever server connection ran it and stay there for
    other clients, while ours run on others without it; there the timeout is the role's
    setting in this database, stored by `migrate` (store_statement_timeout below)."""
    from django.conf import settings

    if settings.DB_STATEMENT_TIMEOUT_MS > 0 and settings.DB_POOLER != "transaction":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('statement_timeout', %s, false)", [f"{settings.DB_STATEMENT_TIMEOUT_MS}ms"])


def store_statement_timeout(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """post_migrate: make DB_STATEMENT_TIMEOUT_MS this role's default in this database, so
    every server session a pooler opens starts with it (no SET, nothing left behind).
    Run by the Procfile's `release: migrate`, on the direct URL."""
    from django.conf import settings
    from django.db import connections
    from psycopg import sql

    connection = connections[using]
    if connection.vendor != "postgresql" or sender.name != "tasks":
        return
    timeout = settings.DB_STATEMENT_TIMEOUT_MS
    statement = sql.SQL("ALTER ROLE CURRENT_USER IN DATABASE {} " + ("SET statement_timeout = {}" if timeout > 0 else "RESET statement_timeout"))
    with connection.cursor() as cursor:
        cursor.execute(statement.format(sql.Identifier(connection.settings_dict["NAME"]), sql.Literal(f"{timeout}ms")).as_string(cursor.connection))


def load_timestamps_in_c(connection: Any) -> None:
    """Parse timestamptz with psycopg's C loader instead of Django's pure-Python one.

    Django subclasses psycopg's Python loader to pin the tzinfo, which costs ~5 µs a value:
    2,000 timestamps make up most of a 1,000-task list. The C loader gives the same
    `datetime.timezone.utc` values when the session's TimeZone is UTC, which Django sets
    whenever its own timezone is UTC; otherwise Django's loader stays.
    """
    if connection.timezone != datetime.timezone.utc:
        return
    from tasks.db import utc_timestamptz_loader

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
    set_statement_timeout(connection)
    load_timestamps_in_c(connection)
    load_json_with_orjson(connection)
    raw.taskflow_configured = True

"""Django's PostgreSQL backend (settings.DATABASES' ENGINE is `tasks.database.backend`)
with two bounds Django does not give:

- COMMIT and ROLLBACK get the client-side deadline too. Queries get theirs from an
  execute_wrapper (tasks.database.deadlines), but Django commits and rolls back by
  calling psycopg's commit()/rollback() directly, outside execute_wrappers: a server
  frozen during a COMMIT held the request for as long as TCP allowed (measured: 40.1 s
  for a PATCH whose backend was stopped in its COMMIT).
- While the database is known to be down, a connection is only taken from the pool when
  one is idle there, never waited for. Otherwise a request whose first call had met the
  outage waited the pool's whole `timeout` for a reconnect to the frozen server when
  Django reconnected on its way out (Atomic.__exit__ calls set_autocommit(True) after
  dropping a connection whose rollback failed): 6 s + 5 s, measured 11.1 s with the CPU
  saturated. The pool keeps reconnecting in its background; the first request that finds
  a connection idle is the probe that ends the outage.

tasks.sql's statements run on cursors that bind on the server (`statement_cursor`), so
that psycopg prepares a statement run `prepare_threshold` times and PostgreSQL plans it
once per connection (issue 21: planning the list took 0.55 ms warm, 1.3-1.8 ms on a fresh
connection; one task's SELECT plans in 0.155 ms and executes in 0.051 ms). Each is one of
a few fixed texts (values are parameters), which psycopg's per-connection cache
(`prepared_max`, 100) holds. Django's ClientCursor never prepares, and its
OPTIONS["server_side_binding"] would bind the ORM's queries on the server too (the
admin's, never tried that way). Behind a transaction pooler the connection's
prepare_threshold is None (settings.DB_POOLER): nothing is prepared there, and the cursor
is Django's client-binding one. One-row statements share one such cursor per physical
connection, kept across the pool's checkouts, instead of one made and closed per
statement: tasks.sql.execute_one 127 -> 87 µs of CPU in-process, a whole GET 1.87 -> 1.71
million instructions with pooled connections, a POST -2.3 % (bench/RESULTS.md,
"2026-12-04, later").

And a statement that psycopg runs prepared (tasks.sql binds on the server) keeps no text
of its own for Django's query log (psycopg drops it once the statement is prepared):
last_executed_query falls back to the statement as it was given, placeholders and all,
rather than logging None (DEBUG's SQL log, CaptureQueriesContext).

`_commit`/`_rollback`/`get_new_connection`/`_prepare_cursor` are Django's own seams (private to it: listed in
tasks/tests/test_private_hooks.py); psycopg has no timeout of its own for a commit."""
from typing import Any

import psycopg
from psycopg.pq import Format
from django.db.backends.postgresql import base, operations
from django.db.backends.utils import CursorWrapper

from tasks.database.deadlines import client_deadline
from tasks.database.outages import database_outage


class DatabaseOperations(operations.DatabaseOperations):
    def last_executed_query(self, cursor: Any, sql: str, params: Any) -> str | None:
        return super().last_executed_query(cursor, sql, params) or sql


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        pool = self.pool
        if pool is not None and database_outage.down and not pool.get_stats().get("pool_available"):
            raise psycopg.OperationalError("no database connection while the database is unavailable")
        return super().get_new_connection(conn_params)

    def statement_cursor(self, kept: bool = True) -> CursorWrapper:
        """A cursor for tasks.sql, wrapped as Django wraps a new one (its execute_wrappers
        and error mapping; the query log when queries are logged), opening a connection if
        necessary as `cursor()` does. `kept`: the connection's own, never closed by its
        caller, only for a statement whose rows are read before the next one runs (the
        next execute replaces them); otherwise a new one, which the caller closes."""
        self.close_if_health_check_failed()
        self.ensure_connection()
        with self.wrap_database_errors:
            raw = self.connection
            if not kept:
                return self._prepare_cursor(self._statement_cursor_of(raw))
            cursor = getattr(raw, "taskflow_statement_cursor", None)
            if cursor is None or cursor.closed:
                cursor = raw.taskflow_statement_cursor = self._statement_cursor_of(raw)
            return self._prepare_cursor(cursor)

    def _statement_cursor_of(self, raw: psycopg.Connection) -> psycopg.Cursor:
        """Binding on the server unless behind a transaction pooler; made as Django's
        create_cursor makes one, its timezone check included."""
        factory = raw.cursor_factory if raw.prepare_threshold is None else base.ServerBindingCursor
        cursor = factory(raw)
        if self.timezone != raw.adapters.get_loader(base.TIMESTAMPTZ_OID, Format.TEXT).timezone:
            base.register_tzloader(self.timezone, cursor)
        return cursor

    def _commit(self) -> Any:
        with client_deadline(self):
            return super()._commit()

    def _rollback(self) -> Any:
        with client_deadline(self):
            return super()._rollback()

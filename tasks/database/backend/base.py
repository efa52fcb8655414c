"""Django's PostgreSQL backend with the client-side deadline on COMMIT and ROLLBACK too
(settings.DATABASES' ENGINE is `tasks.database.backend`).

Queries get their deadline from an execute_wrapper (tasks.database.deadlines), but Django
commits and rolls back by calling psycopg's `commit()`/`rollback()` directly, outside
execute_wrappers: a server frozen during a COMMIT held the request for as long as TCP
allowed (measured: 40.1 s for a PATCH whose backend was stopped in its COMMIT).
Overriding the backend's `_commit`/`_rollback` (private to Django: listed in
tasks/tests/test_private_hooks.py) is the one place every commit passes, atomic() blocks
and autocommit switches alike; psycopg has no timeout of its own for them."""
from typing import Any

from django.db.backends.postgresql import base

from tasks.database.deadlines import client_deadline


class DatabaseWrapper(base.DatabaseWrapper):
    def _commit(self) -> Any:
        with client_deadline(self):
            return super()._commit()

    def _rollback(self) -> Any:
        with client_deadline(self):
            return super()._rollback()

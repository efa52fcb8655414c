import datetime
from typing import Any

from django.apps import AppConfig
from django.db.backends.signals import connection_created


def set_statement_timeout(sender: Any, connection: Any, **kwargs: Any) -> None:
    """Bound every statement, so a stuck database costs a request seconds, not a worker."""
    from django.conf import settings

    if settings.DB_STATEMENT_TIMEOUT_MS > 0:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('statement_timeout', %s, false)", [f"{settings.DB_STATEMENT_TIMEOUT_MS}ms"])


def load_timestamps_in_c(sender: Any, connection: Any, **kwargs: Any) -> None:
    """Parse timestamptz with psycopg's C loader instead of Django's pure-Python one.

    Django subclasses psycopg's Python loader to pin the tzinfo, which costs ~5 µs a value:
    2,000 timestamps make up most of a 1,000-task list. The C loader gives the same
    `datetime.timezone.utc` values when the session's TimeZone is UTC, which Django sets
    whenever its own timezone is UTC; otherwise Django's loader stays.
    """
    if connection.timezone != datetime.timezone.utc:
        return
    from .db import utc_timestamptz_loader

    loader = utc_timestamptz_loader(connection.connection)
    if loader is not None:
        connection.connection.adapters.register_loader("timestamptz", loader)


class TasksConfig(AppConfig):
    name = "tasks"
    verbose_name = "Tasks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        connection_created.connect(set_statement_timeout, dispatch_uid="tasks.statement_timeout")
        from . import checks  # noqa: F401  # registers the "taskflow" system checks
        connection_created.connect(load_timestamps_in_c, dispatch_uid="tasks.timestamps_in_c")

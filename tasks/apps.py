from typing import Any

from django.apps import AppConfig
from django.db.backends.signals import connection_created


def set_statement_timeout(sender: Any, connection: Any, **kwargs: Any) -> None:
    """Bound every statement, so a stuck database costs a request seconds, not a worker."""
    from django.conf import settings

    if connection.vendor == "postgresql" and settings.DB_STATEMENT_TIMEOUT_MS > 0:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('statement_timeout', %s, false)", [f"{settings.DB_STATEMENT_TIMEOUT_MS}ms"])


class TasksConfig(AppConfig):
    name = "tasks"
    verbose_name = "Tasks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        connection_created.connect(set_statement_timeout, dispatch_uid="tasks.statement_timeout")
        from . import checks  # noqa: F401  # registers the "taskflow" system checks

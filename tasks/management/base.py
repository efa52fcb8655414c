"""The base of every TaskFlow command: an unreachable database is one line, not a traceback."""
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import InterfaceError, OperationalError


class TaskflowCommand(BaseCommand):
    """BaseCommand whose database outages end as `CommandError: ...` and exit status 1."""

    def execute(self, *args: Any, **options: Any) -> Any:
        try:
            return super().execute(*args, **options)
        except (OperationalError, InterfaceError) as exc:
            # psycopg's first line names host and port, never the password.
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise CommandError(f"Database unavailable ({reason}); check DATABASE_URL") from exc

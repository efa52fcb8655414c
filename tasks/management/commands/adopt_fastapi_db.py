"""manage.py adopt_fastapi_db: take over the FastAPI original's `tasks` table."""
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from tasks import adoption


class Command(BaseCommand):
    help = (
        "Adopt the database of the FastAPI TaskFlow: check that its `tasks` table is the one FastAPI "
        "created, convert it in one locked transaction to what migration tasks.0001 creates (bigint identity "
        "id continuing after the old ids, statement_timestamp() defaults, constraints, indexes), record 0001 "
        "as applied, then run `migrate`. Safe to run twice: an adopted database only gets `migrate`."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if adoption.is_adopted():
            self.stdout.write("tasks.0001_initial is already applied: nothing to adopt.")
        else:
            problems = adoption.shape_problems()
            if problems:
                raise CommandError("Not the FastAPI tasks table, nothing changed: " + "; ".join(problems) + ".")
            broken = adoption.rows_breaking_constraints()
            if broken:
                raise CommandError(f"{broken} row(s) have an empty title or user_id, which the schema forbids; "
                                   "fix them first. Nothing changed.")
            with transaction.atomic():
                adoption.convert_to_initial_schema()
            self.stdout.write("Adopted the FastAPI tasks table as tasks.0001_initial.")
        # The raw stream: an OutputWrapper around ours would end migrate's "Applying x..." lines early.
        call_command("migrate", interactive=False, verbosity=options["verbosity"], stdout=self.stdout._out)

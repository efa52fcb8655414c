"""manage.py adopt_fastapi_db: take over the FastAPI original's `tasks` table."""
from typing import Any

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from accounts.adoption import adopt_users
from tasks import adoption, adoption_phase5
from tasks.management.base import TaskflowCommand


class Command(TaskflowCommand):
    help = (
        "Adopt the database of the FastAPI TaskFlow: check that its `tasks` table is the one FastAPI "
        "created, convert it in one locked transaction to what migration tasks.0001 creates (bigint identity "
        "id continuing after the old ids, statement_timestamp() defaults, constraints, indexes), record 0001 "
        "as applied, then run `migrate`. A phase V database's planning fields, tags and task-tag links are set "
        "aside first and moved into the migrated tables afterwards. Tables that are not this service's are left "
        "alone and listed. Safe to run twice: an adopted database only gets `migrate`."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if adoption.is_adopted():
            self.stdout.write("tasks.0001_initial is already applied: nothing to adopt.")
        else:
            try:
                with transaction.atomic():
                    adoption.adopt()
            except adoption.AdoptionRefused as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write("Adopted the FastAPI tasks table as tasks.0001_initial.")
        # The raw stream: an OutputWrapper around ours would end migrate's "Applying x..." lines early.
        call_command("migrate", interactive=False, verbosity=options["verbosity"], stdout=self.stdout._out)
        if adoption_phase5.is_stashed():
            with transaction.atomic():
                adoption_phase5.restore()
            self.stdout.write("Moved the phase V priorities, due dates, recurrences, tags and task tags into place.")
        users, skipped = adopt_users()
        if users or skipped:
            self.stdout.write(f"Adopted {users} user(s) of the original's users table, with their passwords"
                              + (f"; left out (e-mail taken): {', '.join(skipped)}." if skipped else "."))
        others = adoption_phase5.tables_not_ours()
        if others:
            self.stdout.write(f"Left alone (not this service's tables): {', '.join(others)}.")

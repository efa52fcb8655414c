"""manage.py export_user: everything we hold about one user, as JSON."""
from typing import Any

import orjson
from django.core.management.base import CommandError, CommandParser

from tasks.management.base import TaskflowCommand
from tasks.listing import all_tasks
from tasks.models import Owner
from tasks.tagging import list_tags

OWNER_FIELDS = ["sub", "email", "name", "first_seen", "last_seen"]


class Command(TaskflowCommand):
    help = (
        "Print, as JSON, everything stored about the user SUB, for a data-portability request: "
        '{"owner": {...} or null, "tags": [...], "tasks": [...]}: the tags by name and the tasks (with their '
        "tags) exactly as the API serves them, tasks newest first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("sub", help="The user id (the token's subject).")

    def handle(self, *args: Any, sub: str, **options: Any) -> None:
        tasks = all_tasks(sub)
        owner = Owner.objects.filter(sub=sub).values(*OWNER_FIELDS).first()
        tags = list_tags(sub)  # as GET /api/{user_id}/tags shows them
        if owner is None and not tasks and not tags:
            raise CommandError(f"Nothing is stored for {sub!r}: no tasks, no tags, no owner row.")
        # The API's renderer options: RFC 3339 UTC with "Z", as the frontend reads them.
        document = orjson.dumps({"owner": owner, "tags": tags, "tasks": tasks}, option=orjson.OPT_UTC_Z | orjson.OPT_INDENT_2)
        self.stdout.write(document.decode())

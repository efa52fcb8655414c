"""manage.py purge_user: delete everything stored about one user."""
import sys
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db import transaction

from tasks import sync
from tasks.management.base import TaskflowCommand
from tasks.models import IdempotencyRecord, Owner, Tag, Task
from tasks.owners import forget_owner


class Command(TaskflowCommand):
    help = (
        "Delete all tasks and tags of the user SUB, their owner-directory row, their change-feed "
        "tombstones and Idempotency-Key records (e.g. after an account deletion). Asks for confirmation unless --yes; without a terminal, --yes is required."
    )
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("sub", help="The user id (the token's subject).")
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")

    def handle(self, *args: Any, sub: str, yes: bool, **options: Any) -> None:
        tasks = Task.objects.for_user(sub)
        task_count, has_owner = tasks.count(), Owner.objects.filter(sub=sub).exists()
        keys = IdempotencyRecord.objects.filter(user_id=sub)
        if not task_count and not has_owner and not sync.remembers(sub) and not keys.exists():
            raise CommandError(f"Nothing is stored for {sub!r}: no tasks, no owner row.")
        if not yes:
            self.confirm(options.get("stdin") or sys.stdin, sub, task_count, has_owner)
        with transaction.atomic():
            deleted_tasks = tasks.filter(user_id=sub).count()
            tasks.delete()  # task_tags go with them (ON DELETE CASCADE)
            Tag.objects.filter(user_id=sub).delete()
            deleted_owners = Owner.objects.filter(sub=sub).delete()[0]
            # After the tasks: their deletes have just left tombstones too.
            sync.forget_user(sub)
            deleted_keys = keys.delete()[0]
        forget_owner(sub)
        self.stdout.write(f"Deleted {deleted_tasks} task(s) and {deleted_owners} owner row(s) of {sub}.")
        if deleted_keys:
            self.stdout.write(f"Deleted {deleted_keys} idempotency record(s) of {sub}.")

    def confirm(self, stdin: Any, sub: str, task_count: int, has_owner: bool) -> None:
        if not stdin.isatty():
            raise CommandError("Refusing to delete without confirmation: stdin is not a terminal, pass --yes.")
        owner = " and the owner row" if has_owner else ""
        self.stdout.write(f"This deletes {task_count} task(s){owner} of {sub}. Type the sub to confirm: ", ending="")
        self.stdout.flush()
        if stdin.readline().strip() != sub:
            raise CommandError("Not confirmed; nothing was deleted.")

"""manage.py createsupportuser: a staff account in the Support group."""
import getpass
import sys
from typing import Any

from django.contrib.auth.models import Group, User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser
from django.core.validators import validate_email
from django.db import transaction

from tasks.management.base import TaskflowCommand

SUPPORT_GROUP = "Support"


class Command(TaskflowCommand):
    help = (
        "Create a staff user (username = EMAIL) in the Support group: it can view tasks and owners "
        "and edit a task's title, description and completion in /admin/, nothing else. "
        "The password is prompted for, or read from standard input with --password-stdin."
    )
    # call_command(stdin=...) in tests, as Django's createsuperuser does.
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="The agent's email; also their login name.")
        parser.add_argument("--password-stdin", action="store_true", help="Read the password from the first line of standard input.")

    def handle(self, *args: Any, email: str, password_stdin: bool, **options: Any) -> None:
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError(f"{email!r} is not an email address.") from None
        if User.objects.filter(username__iexact=email).exists():
            raise CommandError(f"A user {email!r} already exists.")
        try:
            group = Group.objects.get(name=SUPPORT_GROUP)
        except Group.DoesNotExist:
            raise CommandError("The Support group does not exist: run `manage.py migrate` first.") from None
        user = User(username=email, email=email, is_staff=True)
        password = self.read_password(options.get("stdin") or sys.stdin, password_stdin)
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError("Password refused: " + " ".join(exc.messages)) from None
        user.set_password(password)
        with transaction.atomic():
            user.save()
            user.groups.add(group)
        self.stdout.write(f"Created support user {email} (staff, group Support).")

    def read_password(self, stdin: Any, from_stdin: bool) -> str:
        if from_stdin:
            password = stdin.readline().rstrip("\r\n")
        elif stdin.isatty():
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The passwords did not match.")
        else:
            raise CommandError("No terminal to prompt on: pass --password-stdin and pipe the password.")
        if not password:
            raise CommandError("The password is empty.")
        return password

"""manage.py seed_demo: demo users with realistic tasks, fast (the benchmark's data)."""
import random
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.db.models import Count

from tasks.models import Task

DEMO_PREFIX = "demo-user-"
VERBS = ["Buy", "Call", "Email", "Review", "Fix", "Plan", "Book", "Write", "Clean", "Renew",
         "Prepare", "Send", "Update", "Pay", "Schedule", "Read", "Order", "Check", "Draft", "Return"]
OBJECTS = ["groceries", "the dentist", "quarterly report", "flight to Lisbon", "the bike", "team offsite",
           "insurance", "the garage", "invoice #{n}", "slides for Monday", "birthday present", "passport",
           "pull request {n}", "car service", "newsletter", "budget", "library books", "tax return",
           "kitchen sink", "meeting notes"]
DETAILS = ["Milk, eggs, bread", "Before Friday", "Ask about the discount", "See the thread from {d}",
           "Needs a second pair of eyes", "Call back if no answer", "Low priority",
           "Remember the receipt", "Blocked on the vendor", "Ping Sam first"]
COLUMNS = ("user_id", "title", "description", "is_completed", "created_at", "updated_at")


def demo_sub(number: int) -> str:
    """Deterministic demo subjects, so a second run finds the users of the first."""
    return f"{DEMO_PREFIX}{number:04d}"


def demo_rows(user_id: str, count: int, now: datetime) -> Iterator[tuple[Any, ...]]:
    """`count` varied tasks for one user, spread over the past six months (seeded per user)."""
    rng = random.Random(user_id)
    for n in range(count):
        title = f"{rng.choice(VERBS)} {rng.choice(OBJECTS).format(n=rng.randint(1, 999))}"
        roll = rng.random()
        if roll < 0.25:
            description = None
        elif roll < 0.9:
            description = rng.choice(DETAILS).format(d=(now - timedelta(days=rng.randint(1, 90))).date())
        else:
            description = " ".join(rng.choice(DETAILS) for _ in range(rng.randint(5, 30)))
        created = now - timedelta(seconds=rng.randint(0, 180 * 86_400), microseconds=rng.randint(0, 999_999))
        updated = created if rng.random() < 0.6 else min(now, created + timedelta(seconds=rng.randint(1, 30 * 86_400)))
        yield (user_id, title, description, rng.random() < 0.3, created, updated)


class Command(BaseCommand):
    help = (
        "Create N demo users (demo-user-0001...) with M realistic tasks each. Idempotent: users "
        "that already have M tasks are skipped; --reset deletes every demo user's tasks first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--users", type=int, default=100, help="Number of demo users (default 100).")
        parser.add_argument("--tasks", type=int, default=1000, help="Tasks per user (default 1000).")
        parser.add_argument("--reset", action="store_true", help="Delete the demo users' tasks first.")

    def handle(self, *args: Any, users: int, tasks: int, reset: bool, **options: Any) -> None:
        if users < 1 or tasks < 1:
            raise CommandError("--users and --tasks must be at least 1.")
        started = time.monotonic()
        if reset:
            deleted = Task.objects.filter(user_id__startswith=DEMO_PREFIX).delete()[0]
            self.stdout.write(f"Deleted {deleted} demo task(s).")
        subs = [demo_sub(n) for n in range(1, users + 1)]
        have = dict(Task.objects.filter(user_id__in=subs).values_list("user_id").annotate(n=Count("id")))
        now = datetime.now(timezone.utc)
        created = skipped = 0
        for done, sub in enumerate(subs, 1):
            missing = tasks - have.get(sub, 0)
            if missing <= 0:
                skipped += 1
            else:
                self.insert(demo_rows(sub, missing, now))
                created += missing
            self.progress(done, len(subs))
        seconds = time.monotonic() - started
        self.stdout.write(f"Seeded {created} task(s) for {users - skipped} user(s), {skipped} skipped, in {seconds:.1f} s.")

    def insert(self, rows: Iterator[tuple[Any, ...]]) -> None:
        with transaction.atomic():
            # COPY is an order of magnitude faster than INSERTs for 100,000 rows.
            copy_sql = f"COPY {Task._meta.db_table} ({', '.join(COLUMNS)}) FROM STDIN"
            with connection.cursor() as cursor, cursor.copy(copy_sql) as copy:
                for row in rows:
                    copy.write_row(row)

    def progress(self, done: int, total: int) -> None:
        if not self.stdout.isatty():
            return
        filled = done * 30 // total
        self.stdout.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total} users", ending="")
        if done == total:
            self.stdout.write("")

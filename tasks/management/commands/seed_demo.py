"""manage.py seed_demo: demo users with realistic tasks, fast (the benchmark's data)."""
import random
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db import transaction
from django.db.models import Count, Max

from tasks.management.base import TaskflowCommand
from tasks.models import MomentKind, Priority, Recurrence, Tag, Task, TaskTag
from tasks.sql import cursor, table

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
TAGS = [("home", "#22c55e"), ("work", "#3b82f6"), ("money", "#eab308"), ("health", None), ("errands", "#f97316"),
        ("family", None), ("urgent", "#ef4444"), ("someday", None)]
COLUMNS = ("user_id", "title", "description", "is_completed", "created_at", "updated_at", "priority",
           "due_date", "due_date_kind", "recurrence_pattern", "recurrence_end_date", "recurrence_end_date_kind")
# 0-3 of the user's 8 tags a task, chosen from its id: a join of the user's new tasks
# with the user's tags (numbered 0-7), no per-task subquery, so it stays cheap.
def link_tags_sql() -> str:
    return f"""
INSERT INTO {table(TaskTag)} (user_id, task_id, tag_id)
SELECT t.user_id, t.id, g.id FROM {table(Task)} t
JOIN (SELECT id, user_id, row_number() OVER (ORDER BY name) - 1 AS n FROM {table(Tag)} WHERE user_id = %(user)s) g
  ON g.user_id = t.user_id
WHERE t.user_id = %(user)s AND t.id > %(after)s AND ((g.n - t.id) %% 8 + 8) %% 8 < (t.id * 7) %% 4
"""


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
        priority = rng.choices(Priority.values, weights=[25, 55, 20])[0]
        due, due_kind = demo_moment(rng, created)
        pattern = rng.choice(Recurrence.values) if rng.random() < 0.1 else None
        end, end_kind = demo_moment(rng, created + timedelta(days=120)) if pattern and rng.random() < 0.5 else (None, None)
        yield (user_id, title, description, rng.random() < 0.3, created, updated, priority, due, due_kind,
               pattern, end, end_kind)


def demo_moment(rng: random.Random, around: datetime) -> tuple[datetime | None, str | None]:
    """None, a floating wall-clock time, an instant or a date, as clients send them
    (floating times and dates are stored as if UTC: tasks.models.MomentKind)."""
    roll = rng.random()
    if roll < 0.3:
        return None, None
    moment = around + timedelta(days=rng.randint(-30, 60))
    if roll < 0.6:
        return moment.replace(minute=rng.choice([0, 15, 30, 45]), second=0, microsecond=0), MomentKind.FLOATING
    if roll < 0.85:
        return moment.replace(microsecond=0), MomentKind.INSTANT
    return moment.replace(hour=0, minute=0, second=0, microsecond=0), MomentKind.DATE


class Command(TaskflowCommand):
    help = (
        "Create N demo users (demo-user-0001...) with M realistic tasks each (priorities, due dates of every "
        "kind, some recurring, 0-3 tags). Idempotent: users "
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
            deleted = Task.objects.filter(user_id__startswith=DEMO_PREFIX).delete()[1].get("tasks.Task", 0)  # not their links
            self.stdout.write(f"Deleted {deleted} demo task(s).")
        subs = [demo_sub(n) for n in range(1, users + 1)]
        have = dict(Task.objects.filter(user_id__in=subs).values_list("user_id").annotate(n=Count("id")))
        now = datetime.now(timezone.utc)
        created = skipped = 0
        Tag.objects.bulk_create([Tag(user_id=sub, name=name, color=color) for sub in subs for name, color in TAGS],
                                ignore_conflicts=True)
        for done, sub in enumerate(subs, 1):
            missing = tasks - have.get(sub, 0)
            if missing <= 0:
                skipped += 1
            else:
                self.insert(sub, demo_rows(sub, missing, now))
                created += missing
            self.progress(done, len(subs))
        seconds = time.monotonic() - started
        self.stdout.write(f"Seeded {created} task(s) for {users - skipped} user(s), {skipped} skipped, in {seconds:.1f} s.")

    def insert(self, sub: str, rows: Iterator[tuple[Any, ...]]) -> None:
        """One user's new tasks, and 0-3 of the user's tags on each of them."""
        with transaction.atomic():
            after = Task.objects.aggregate(last=Max("id"))["last"] or 0
            # COPY is an order of magnitude faster than INSERTs for 100,000 rows.
            copy_sql = f"COPY {table(Task)} ({', '.join(COLUMNS)}) FROM STDIN"
            with cursor() as seeding:
                with seeding.copy(copy_sql) as copy:
                    for row in rows:
                        copy.write_row(row)
                seeding.execute(link_tags_sql(), {"user": sub, "after": after})

    def progress(self, done: int, total: int) -> None:
        if not self.stdout.isatty():
            return
        filled = done * 30 // total
        self.stdout.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total} users", ending="")
        if done == total:
            self.stdout.write("")

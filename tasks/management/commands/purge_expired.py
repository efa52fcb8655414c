"""manage.py purge_expired: delete what has outlived its retention (safe from a scheduler)."""
from collections.abc import Callable
from typing import Any

from tasks.management.base import TaskflowCommand

from tasks import sync
from tasks.idempotency import purge_expired as purge_expired_idempotency_records

# One entry per concern, each a function that deletes what has expired and returns how
# many rows went; each runs in its own transaction, so one failing leaves the others done.
PURGES: list[tuple[str, Callable[[], int]]] = [
    ("tombstone(s) older than TOMBSTONE_DAYS", sync.purge_expired_tombstones),
    ("idempotency record(s) older than 24 hours", purge_expired_idempotency_records),
]


class Command(TaskflowCommand):
    help = (
        "Delete expired records: change-feed tombstones older than TOMBSTONE_DAYS (sync tokens "
        "from before them then get 410), Idempotency-Key answers older than 24 hours. Safe to run from a scheduler, repeatedly and concurrently."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        for what, purge in PURGES:
            self.stdout.write(f"Purged {purge()} {what}.")

"""manage.py purge_expired: drop what the change feed (and friends) keep only for a while."""
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand

from tasks import sync

# One entry per concern, each a function that deletes what has expired and returns how
# many rows went; each runs in its own transaction, so one failing leaves the others done.
PURGES: list[tuple[str, Callable[[], int]]] = [
    ("tombstone(s) older than TOMBSTONE_DAYS", sync.purge_expired_tombstones),
]


class Command(BaseCommand):
    help = (
        "Delete expired records: change-feed tombstones older than TOMBSTONE_DAYS (sync tokens "
        "from before them then get 410). Safe to run from a scheduler, repeatedly and concurrently."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        for what, purge in PURGES:
            self.stdout.write(f"Purged {purge()} {what}.")

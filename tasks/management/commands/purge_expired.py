"""manage.py purge_expired: delete what has outlived its retention (safe from a scheduler)."""
from typing import Any

from django.core.management.base import BaseCommand

from tasks.idempotency import purge_expired as purge_expired_idempotency_records


class Command(BaseCommand):
    help = (
        "Delete expired records: Idempotency-Key answers older than 24 hours. Idempotent and "
        "safe to run at any time, e.g. hourly from the platform's scheduler."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = purge_expired_idempotency_records()
        self.stdout.write(f"Deleted {deleted} expired idempotency record(s).")

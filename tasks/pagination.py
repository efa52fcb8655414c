"""A changelist paginator that does not COUNT(*) the whole table for every page."""
from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

# Below this many rows an exact count is cheap, and an estimate would be visibly wrong.
EXACT_COUNT_BELOW = 10_000


def estimated_row_count(table: str, using: str) -> int:
    """PostgreSQL's planner estimate of a table's rows (-1 when never analysed)."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)", [table])
        row = cursor.fetchone()
    return int(row[0]) if row and row[0] is not None else -1


class EstimatedCountPaginator(Paginator):
    """Counts exactly when the changelist is filtered or the table is small; otherwise
    uses the planner's estimate, so the unfiltered first page of a big table stays fast
    (the page count may be off by a few percent until autovacuum's next ANALYZE)."""

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        using = queryset.db
        if not queryset.query.where:
            estimate = estimated_row_count(queryset.model._meta.db_table, using)
            if estimate >= EXACT_COUNT_BELOW:
                return estimate
        return super().count

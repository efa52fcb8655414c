"""A fast timestamptz loader for psycopg 3 connections whose session TimeZone is UTC."""
import datetime
from typing import Any

import psycopg
from psycopg.adapt import Loader
from psycopg.postgres import types
from psycopg.pq import Format

TIMESTAMPTZ_OID = types["timestamptz"].oid


class _UTCTimestamptzLoader(Loader):
    """Delegates to psycopg's default (C, when psycopg[binary] is installed) loader.

    `timezone` is what Django's cursor factory compares with the connection's timezone
    before installing its own loader again; it must say UTC, and it is true: the
    session's TimeZone is checked to be UTC before this loader is registered.
    """

    timezone = datetime.timezone.utc
    base: type[Loader]

    def __init__(self, oid: int, context: Any = None) -> None:
        super().__init__(oid, context)
        self._load = self.base(oid, context).load

    def load(self, data: Any) -> datetime.datetime:
        return self._load(data)


def utc_timestamptz_loader(conn: psycopg.Connection) -> type[Loader] | None:
    """The loader class for `conn`, or None when the session is not in UTC."""
    if conn.info.parameter_status("TimeZone") not in {"UTC", "Etc/UTC"}:
        return None
    base = psycopg.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
    return type("UTCTimestamptzLoader", (_UTCTimestamptzLoader,), {"base": base})


def parse_timestamps_in_c(cursor: psycopg.Cursor) -> None:
    """For a cursor about to fetch many rows: psycopg's C loader itself, without even the
    per-value Python call above, when this connection's loader is ours (session in UTC)."""
    loader = cursor.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
    if loader is not None and issubclass(loader, _UTCTimestamptzLoader):
        cursor.adapters.register_loader("timestamptz", loader.base)

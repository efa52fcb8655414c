"""Log records as one JSON object per line, each stamped with the current request's id.

Imported by LOGGING at start-up, before the apps are ready: no models here.
"""
import logging
from contextvars import ContextVar
from datetime import UTC, datetime

import orjson

# What JSONFormatter never reads, and so no LogRecord needs to gather: the caller's file
# and line (a walk up the stack for every record), the thread and the multiprocessing
# name; the Python logging HOWTO's "Optimization" section names these switches. The
# process id stays: gunicorn's own log lines show it. (Issue 21: one record per request.)
logging._srcfile = None
logging.logThreads = False
logging.logMultiprocessing = False

# Set by tasks.middleware for the length of a request; a contextvar, so threads (gthread
# workers) and async code each see their own request's id.
request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record, whoever logged it (Django, DRF, us)."""

    def filter(self, record: logging.LogRecord) -> bool:
        # django.request logs a 5xx after the middleware chain has returned (the
        # contextvar is reset by then), but hands us the request the middleware stamped.
        stamped = getattr(getattr(record, "request", None), "request_id", None)
        record.request_id = request_id_var.get() or stamped
        return True


class JSONFormatter(logging.Formatter):
    """time, level, logger, message, request_id, the record's `fields` and any traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
            **getattr(record, "fields", {}),
        }
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


class NotServiceUnavailable(logging.Filter):
    """Drops django.request's line for a 503: an outage is logged once by tasks.database.outages,
    not once per request it fails."""

    def filter(self, record: logging.LogRecord) -> bool:
        return getattr(record, "status_code", None) != 503

"""One log line when a dependency goes down and one when it answers again, not a line
(or a traceback) per failed request; and, for Redis, a pause before it is tried again.

State is per worker process: two processes may disagree for a few seconds, which costs
at most one extra log line or one extra attempt each.

Why not a library: a circuit-breaker package (pybreaker) counts failures to open and
half-opens on a timer; here the first failure is the outage, the first success ends it,
and the admission gate must hear of it at once (when_down): 60 lines, no dependency."""
import logging
import threading
import time
from collections.abc import Callable


class Outage:
    """The health of one dependency (`name`) as this process last saw it."""

    def __init__(self, name: str, logger: logging.Logger, retry_after: float = 0.0) -> None:
        self.name = name
        self.logger = logger
        self.retry_after = retry_after
        self.down = False
        self.since = 0.0
        self.failures = 0
        self.next_try = 0.0
        self._lock = threading.Lock()
        # Called, in the failing request's thread, the moment an outage starts.
        self.when_down: list[Callable[[], None]] = []

    def failed(self, exc: BaseException) -> None:
        """Record a failure; only the first of an outage is logged, without a traceback.

        Each failure counts once, however many layers report it (a query's by the client
        deadline's wrapper, then by the exception handler that answers it 503)."""
        if getattr(exc, "taskflow_outage", None) is self:
            return
        exc.taskflow_outage = self  # type: ignore[attr-defined]
        now = time.monotonic()
        with self._lock:
            self.failures += 1
            self.next_try = now + self.retry_after
            if self.down:
                return
            self.down, self.since, self.failures = True, now, 1
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        self.logger.error("%s unavailable (%s: %s); further failures are not logged until it answers again",
                          self.name, type(exc).__name__, first_line)
        for listener in self.when_down:
            listener()

    def answered(self) -> None:
        """Record a success: logs the end of an outage, once. Cheap when nothing was down."""
        if not self.down:
            return
        with self._lock:
            if not self.down:
                return
            self.down = False
            seconds, failures = time.monotonic() - self.since, self.failures
        self.logger.warning("%s answering again after %.1f s (%d failed calls)", self.name, seconds, failures)

    def skip(self) -> bool:
        """True while down and inside the pause: don't even try (the circuit is open)."""
        return self.down and time.monotonic() < self.next_try


# The database as this process last saw it: tasks.database.deadlines feeds it, the
# admission gate (taskflow.server.admission) and the 503 handler read it.
database_outage = Outage("Database", logging.getLogger("tasks.database"))

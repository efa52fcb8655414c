"""How many requests of one gunicorn worker are inside Django at once: one per database
connection of the worker (DB_POOL_SIZE), the rest wait their turn here.

Why: a gevent worker (taskflow/server/gunicorn.py) starts every connection's request at once.
Let into Django together, 50 requests share one CPU and queue on a 4-connection pool
whose 5 s timeout answers the unlucky ones 503, while the requests holding a connection
wake late because 49 others want the CPU too (measured: list 0.11x -> 0.00x of the
reference, bench/RESULTS.md). Admitted in turns of DB_POOL_SIZE, an admitted request
always finds a connection and runs to its end, as with a thread per connection, while
a connection that is still sending its head or body costs a greenlet, not a turn.

- A body is read before the request waits for its turn (a slow upload holds no turn),
  up to MAX_BODY_BYTES; a larger one is left unread for Django's 413. A body that stops
  arriving for CLIENT_TIMEOUT_SECONDS is answered 408.
- A request waits at most ADMISSION_WAIT_SECONDS for its turn, and stops waiting once
  this process knows the database is down (tasks.database.outages.database_outage): 503 + Retry-After,
  as the API answers an outage, instead of a queue that grows behind a frozen database.
- /health (liveness) and static files need no database, so they never wait.
- The turn ends when Django has finished the request (request_finished has run, so an
  unusable connection is already closed), before the answer is written: a slow reader
  holds no turn either.

State is per process: turns, and their connections, belong to one worker process.
"""
import collections
import io
import os
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, JsonResponse
from django.http.response import HttpResponseBase

from tasks.database.outages import database_outage

BUSY = (503, "Service busy")
OUTAGE = (503, "Database unavailable")
BODY_TIMEOUT = (408, "Request body not received in time")
POLL_SECONDS = 0.25
REFUSAL = "taskflow.refusal"


class Refused(Exception):
    """No turn: `refusal` is the answer's (status, detail)."""

    def __init__(self, refusal: tuple[int, str]) -> None:
        self.refusal = refusal


class Handoff:
    """A waiting request: the turn's connection is put here before `event` is set."""

    __slots__ = ("event", "connection")

    def __init__(self) -> None:
        self.event = threading.Event()
        self.connection: Any = None


class Turns:
    """DB_POOL_SIZE turns per process, handed out strictly in order of arrival; each turn
    is one persistent Django database connection, which serves the request holding it.

    Not a semaphore: a released semaphore count goes to whoever asks first, and under
    gevent that is usually a request that has just arrived, not one that has waited
    (measured: list p50 0.76 s but p95 4.0 s, against gthread's 1.4 s / 2.3 s). Here a
    released turn is handed to the longest waiter directly, and a newcomer queues behind
    any waiter. A connection per turn, not a pool: a request that has its turn needs a
    connection anyway, and a pool's checkout and return cost 0.05 ms of CPU per request
    (bench/RESULTS.md). State is made lazily per process: gunicorn's master
    (preload_app) forks the workers after this module is imported."""

    def __init__(self) -> None:
        self._pid = 0
        self._lock = threading.Lock()
        self._free: list[Any] = []
        self._waiters: collections.deque[Handoff] = collections.deque()

    def _state(self) -> threading.Lock:
        if self._pid != os.getpid():
            self._lock, self._free, self._waiters = threading.Lock(), [], collections.deque()
            for _ in range(settings.DB_POOL_SIZE):
                connection = connections.create_connection(DEFAULT_DB_ALIAS)
                # Used by one request at a time, but from the greenlet (or thread) of
                # whichever request holds the turn.
                connection.inc_thread_sharing()
                self._free.append(connection)
            self._pid = os.getpid()
        return self._lock

    def take(self) -> Any:
        """Wait for a turn and return its connection; Refused if none came in time."""
        with self._state():
            if self._free and not self._waiters:
                return self._free.pop()
            handoff = Handoff()
            self._waiters.append(handoff)
        deadline = time.monotonic() + settings.ADMISSION_WAIT_SECONDS
        while not handoff.event.wait(POLL_SECONDS):
            refusal = OUTAGE if database_outage.down else BUSY if time.monotonic() >= deadline else None
            if refusal is None:
                continue
            with self._lock:
                if not handoff.event.is_set():  # else it was handed over just now: ours after all
                    self._waiters.remove(handoff)
                    raise Refused(refusal)
        return handoff.connection

    def give_back(self, connection: Any) -> None:
        with self._lock:
            if self._waiters:  # the turn passes on without being free
                handoff = self._waiters.popleft()
                handoff.connection = connection
                handoff.event.set()
            else:
                self._free.append(connection)


turns = Turns()


def release(connection: Any) -> None:
    """The request is over: its greenlet lets go of the turn's connection (so nothing it
    runs later can touch it) and the turn passes on."""
    del connections[DEFAULT_DB_ALIAS]
    turns.give_back(connection)


def read_body(environ: dict[str, Any]) -> bool:
    """Replace wsgi.input by the whole body read into memory, when it is within the limit.

    Django reads exactly CONTENT_LENGTH bytes, so a chunked body (gunicorn de-chunks it
    and marks the stream terminated) is read up to one byte past the limit and given its
    length: an oversized one still gets its 413. False when the body stopped arriving."""
    stream = environ["wsgi.input"]
    chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
    try:
        if chunked and environ.get("wsgi.input_terminated") and not environ.get("CONTENT_LENGTH"):
            body = stream.read(settings.MAX_BODY_BYTES + 1)
            environ["CONTENT_LENGTH"] = str(len(body))
        else:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            if not 0 < length <= settings.MAX_BODY_BYTES:
                return True  # nothing to read, or Django's 413 (nothing of it is read)
            body = stream.read(length)
            if len(body) < length:  # the client closed mid-body
                raise EOFError
    except (OSError, ValueError, EOFError):  # CLIENT_TIMEOUT_SECONDS without a byte (taskflow.server.workers)
        stream.stalled = True  # the worker closes the connection after the 408
        return False
    environ["wsgi.input"] = io.BytesIO(body)
    return True


def needs_no_turn(path: str) -> bool:
    """Liveness and static files: no database, so no turn."""
    return path == "/health" or path.startswith(settings.STATIC_URL)


def admit(app: Callable) -> Callable:
    """The WSGI application of the web process: bodies first, then a turn, then Django.

    A refusal (408, 503) is still answered by Django, without a turn, by RefusalMiddleware:
    so it carries the CORS, security and X-Request-Id headers of every other answer, and
    a browser can read its Retry-After."""

    def application(environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if not read_body(environ):
            environ.update({REFUSAL: BODY_TIMEOUT, "wsgi.input": io.BytesIO(), "CONTENT_LENGTH": "0"})
            return app(environ, start_response)
        if needs_no_turn(environ.get("PATH_INFO", "")):
            return app(environ, start_response)
        try:
            connection = turns.take()
        except Refused as refused:
            environ[REFUSAL] = refused.refusal
            return app(environ, start_response)
        connections[DEFAULT_DB_ALIAS] = connection  # this request's Django code uses it
        try:
            response = app(environ, start_response)
            # Whole, so that the turn ends before the answer is written. A streamed answer
            # would be buffered too: none takes a turn (static files take none).
            content = b"".join(response)
            # Django's request_finished: an unusable or old connection is closed here.
            response.close()
        finally:
            release(connection)
        return [content]

    return application


class RefusalMiddleware:
    """Answers a request that admit() refused, before anything else of Django runs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        refusal = request.META.get(REFUSAL)
        if refusal is None:
            return self.get_response(request)
        status, detail = refusal
        response = JsonResponse({"detail": detail}, status=status)
        response["Content-Length"] = str(len(response.content))
        if status == 503:
            response["Retry-After"] = str(settings.RETRY_AFTER_SECONDS)
        return response

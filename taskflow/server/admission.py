"""How many requests of one gunicorn worker are inside Django at once: DB_POOL_SIZE, the
size of the worker's database pool (Django's native pool, settings.DATABASES); the rest
wait in line here, in order of arrival.

Why: a gevent worker (taskflow/server/gunicorn.py) starts every connection's request at
once. Let into Django together, 50 requests share one CPU and queue on a 4-connection
pool whose timeout answers the unlucky ones 503, while the requests holding a connection
wake late because 49 others want the CPU too (measured: list 0.11x -> 0.00x of the
reference, bench/RESULTS.md). Admitted DB_POOL_SIZE at a time, an admitted request finds
a free connection in the pool and runs to its end, as with a thread per connection,
while a connection that is still sending its head or body costs a greenlet, not a place.

- A body is read before the request queues (a slow upload holds no place), up to
  MAX_BODY_BYTES; a larger one is left unread for Django's 413. A body that stops
  arriving for CLIENT_TIMEOUT_SECONDS is answered 408.
- A request waits at most ADMISSION_WAIT_SECONDS, and not at all once this process knows
  the database is down (tasks.database.outages.database_outage): 503 + Retry-After, as
  the API answers an outage, instead of a queue that grows behind a frozen database.
- /health (liveness) and static files need no database, so they never queue.
- The place is given up when Django has finished the request (request_finished has run,
  so its connection is back in the pool), before the answer is written: a slow reader
  holds no place either.

Why not a library: psycopg_pool's ConnectionPool is already a FIFO with a timeout, but
its wait happens inside Django, after middleware and authentication have run on the
crowded CPU, and it cannot answer "the database is down" before its timeout; gunicorn
and Django have no admission control at all.
"""
import collections
import io
import os
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.http.response import HttpResponseBase

from tasks.database.outages import database_outage

BUSY = (503, "Service busy")
OUTAGE = (503, "Database unavailable")
BODY_TIMEOUT = (408, "Request body not received in time")
REFUSAL = "taskflow.refusal"


class Refused(Exception):
    """No place: `refusal` is the answer's (status, detail)."""

    def __init__(self, refusal: tuple[int, str]) -> None:
        self.refusal = refusal


class Waiter:
    __slots__ = ("event", "refusal")

    def __init__(self) -> None:
        self.event = threading.Event()
        self.refusal: tuple[int, str] | None = None  # set with `event` when turned away


class Gate:
    """DB_POOL_SIZE places per process, given strictly in order of arrival.

    Not a semaphore: a released count goes to whoever asks first, and under gevent that
    is usually a request that has just arrived, not one that has waited (measured: list
    p50 0.76 s but p95 4.0 s, against gthread's 1.4 s / 2.3 s). Here a freed place is
    handed to the longest waiter, and a newcomer queues behind any waiter. When the
    database goes down every waiter is turned away at that moment (the outage calls
    refuse_waiters), and no place is handed on while it is down: a newcomer that finds a
    free place still goes in, and is the probe that sees the database come back.
    State is made per process: gunicorn's master (preload_app) imports this, then forks."""

    def __init__(self) -> None:
        self._pid = 0

    def _state(self) -> threading.Lock:
        if self._pid != os.getpid():
            self._lock, self._inside, self._waiters = threading.Lock(), 0, collections.deque()
            self._pid = os.getpid()
        return self._lock

    def enter(self) -> None:
        with self._state():
            if self._inside < settings.DB_POOL_SIZE and not self._waiters:
                self._inside += 1
                return
            if database_outage.down:
                raise Refused(OUTAGE)
            waiter = Waiter()
            self._waiters.append(waiter)
        if not waiter.event.wait(settings.ADMISSION_WAIT_SECONDS):
            with self._lock:
                if not waiter.event.is_set():  # else a place (or a refusal) came just now
                    self._waiters.remove(waiter)
                    raise Refused(BUSY)
        if waiter.refusal is not None:
            raise Refused(waiter.refusal)

    def leave(self) -> None:
        with self._lock:
            if self._waiters and not database_outage.down:
                self._waiters.popleft().event.set()  # the place passes on without being free
                return
            self._inside -= 1
        if database_outage.down:
            self.refuse_waiters()

    def refuse_waiters(self) -> None:
        """Turn every waiter away with the outage's 503 (database_outage calls this)."""
        with self._state():  # under the lock: a waiter timing out sees either its refusal or its place
            while self._waiters:
                waiter = self._waiters.popleft()
                waiter.refusal = OUTAGE
                waiter.event.set()


gate = Gate()
database_outage.when_down.append(gate.refuse_waiters)


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


def needs_no_place(path: str) -> bool:
    """Liveness and static files: no database, so no place in line."""
    return path == "/health" or path.startswith(settings.STATIC_URL)


def admit(app: Callable) -> Callable:
    """The WSGI application of the web process: bodies first, then a place, then Django.

    A refusal (408, 503) is still answered by Django, without a place, by RefusalMiddleware:
    so it carries the CORS, security and X-Request-Id headers of every other answer, and
    a browser can read its Retry-After."""

    def application(environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if not read_body(environ):
            environ.update({REFUSAL: BODY_TIMEOUT, "wsgi.input": io.BytesIO(), "CONTENT_LENGTH": "0"})
            return app(environ, start_response)
        if needs_no_place(environ.get("PATH_INFO", "")):
            return app(environ, start_response)
        try:
            gate.enter()
        except Refused as refused:
            environ[REFUSAL] = refused.refusal
            return app(environ, start_response)
        try:
            response = app(environ, start_response)
            # Whole, so that the place is given up before the answer is written. A streamed
            # answer would be buffered too: none takes a place (static files take none).
            content = b"".join(response)
            response.close()  # Django's request_finished: the connection goes back to the pool
        finally:
            gate.leave()
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

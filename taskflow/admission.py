"""How many requests of one gunicorn worker are inside Django at once: one per pooled
database connection (DB_POOL_SIZE), the rest wait their turn here.

Why: a gevent worker (taskflow/gunicorn.py) starts every connection's request at once.
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
  this process knows the database is down (tasks.deadlines.database): 503 + Retry-After,
  as the API answers an outage, instead of a queue that grows behind a frozen database.
- /health (liveness) and static files need no database, so they never wait.
- The turn ends when Django has finished the request (its connection is back in the
  pool), before the answer is written: a slow reader holds no turn either.

State is per process (a semaphore): turns are a share of this process's own pool.
"""
import collections
import io
import os
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase

from tasks.deadlines import database

BUSY = (503, "Service busy")
OUTAGE = (503, "Database unavailable")
BODY_TIMEOUT = (408, "Request body not received in time")
POLL_SECONDS = 0.25
REFUSAL = "taskflow.refusal"


class Turns:
    """DB_POOL_SIZE turns per process, handed out strictly in order of arrival.

    Not a semaphore: a released semaphore count goes to whoever asks first, and under
    gevent that is usually a request that has just arrived, not one that has waited
    (measured: list p50 0.76 s but p95 4.0 s, against gthread's 1.4 s / 2.3 s). Here a
    released turn is handed to the longest waiter directly, and a newcomer queues behind
    any waiter. State is made lazily per process: gunicorn's master (preload_app) forks
    the workers after this module is imported."""

    def __init__(self) -> None:
        self._pid = 0
        self._lock = threading.Lock()
        self._free = 0
        self._waiters: collections.deque[threading.Event] = collections.deque()

    def _state(self) -> threading.Lock:
        if self._pid != os.getpid():
            self._lock, self._free, self._waiters = threading.Lock(), settings.DB_POOL_SIZE, collections.deque()
            self._pid = os.getpid()
        return self._lock

    def take(self) -> tuple[int, str] | None:
        """Wait for a turn; None when taken, else why not (a 503)."""
        with self._state():
            if self._free > 0 and not self._waiters:
                self._free -= 1
                return None
            handed = threading.Event()
            self._waiters.append(handed)
        deadline = time.monotonic() + settings.ADMISSION_WAIT_SECONDS
        while not handed.wait(POLL_SECONDS):
            refusal = OUTAGE if database.down else BUSY if time.monotonic() >= deadline else None
            if refusal is None:
                continue
            with self._lock:
                if not handed.is_set():  # else it was handed over just now: ours after all
                    self._waiters.remove(handed)
                    return refusal
        return None

    def give_back(self) -> None:
        with self._lock:
            if self._waiters:
                self._waiters.popleft().set()  # the turn passes on without being free
            else:
                self._free += 1


turns = Turns()


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
    except (OSError, ValueError, EOFError):  # CLIENT_TIMEOUT_SECONDS without a byte (taskflow.workers)
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
        refusal = turns.take()
        if refusal is not None:
            environ[REFUSAL] = refusal
            return app(environ, start_response)
        try:
            response = app(environ, start_response)
        except BaseException:
            turns.give_back()
            raise
        if not isinstance(response, HttpResponse):  # streamed: see Streaming
            return Streaming(response, turns)
        try:
            content = b"".join(response)
            # Django's request_finished: the database connection goes back to the pool.
            response.close()
        finally:
            turns.give_back()
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


class Streaming:
    """A streamed answer (a static file) keeps its turn until gunicorn closes it."""

    def __init__(self, response: Any, turns: Turns) -> None:
        self.response, self.turns = response, turns

    def __iter__(self) -> Any:
        return iter(self.response)

    def close(self) -> None:
        try:
            self.response.close()
        finally:
            self.turns.give_back()

"""A client-side deadline for every database call, kept connections included.

`statement_timeout` is enforced by the server, so it never fires when the server itself
stops answering (frozen, partitioned, a dead load balancer): the client then waits on a
socket the kernel keeps open, for as long as TCP allows. libpq's keepalives and
`tcp_user_timeout` do not help where the kernel still acknowledges (loopback, a frozen
process on a live host). So a watchdog thread per process shuts down the socket of a call
that outlives its deadline: psycopg sees the connection end and raises OperationalError,
Django marks the connection unusable and drops it, the request answers 503, and the next
request opens a new connection (bounded by `connect_timeout`). The watchdog works the
same under gevent (its thread is then a greenlet) and under threads.

Why not a library: neither psycopg nor Django has a client-side deadline per call, and
psycopg's cancel() needs an answer from the very server that stopped answering. No
private hook: execute_wrappers and DatabaseWrapper.connection are Django's public API
(COMMIT/ROLLBACK get the deadline from tasks/database/backend, which names its hooks)."""
import itertools
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from django.db import InterfaceError, OperationalError

from .outages import database_outage


class Watchdog:
    """Shuts down the socket of a call still running at its deadline (checked every `tick`)."""

    def __init__(self, tick: float = 0.1) -> None:
        self.tick = tick
        self._calls: dict[int, tuple[float, int]] = {}
        self._keys = itertools.count()
        self._lock = threading.Lock()
        self._pid = 0

    def watch(self, fileno: int, seconds: float) -> int:
        key = next(self._keys)
        with self._lock:
            self._calls[key] = (time.monotonic() + seconds, fileno)
            if self._pid != os.getpid():  # first call in this (forked) process
                self._pid = os.getpid()
                threading.Thread(target=self._run, name="db-deadline-watchdog", daemon=True).start()
        return key

    def release(self, key: int) -> None:
        with self._lock:
            self._calls.pop(key, None)

    def _run(self) -> None:
        while True:
            time.sleep(self.tick)
            now = time.monotonic()
            # Under the lock: a call that is released is never shut down afterwards, so
            # the descriptor still belongs to the connection that overran.
            with self._lock:
                for key in [k for k, (deadline, _) in self._calls.items() if deadline <= now]:
                    _, fileno = self._calls.pop(key)
                    shut_down(fileno)


def shut_down(fileno: int) -> None:
    try:
        sock = socket.socket(fileno=os.dup(fileno))
    except OSError:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    finally:
        sock.close()


watchdog = Watchdog()


@contextmanager
def client_deadline(connection: Any) -> Iterator[None]:
    """Bound one database call of `connection` (a Django DatabaseWrapper) by
    DB_CLIENT_TIMEOUT_SECONDS; its failure, and the first success after one, feed the
    one-line-per-outage log and the admission gate (database_outage)."""
    from django.conf import settings

    seconds = settings.DB_CLIENT_TIMEOUT_SECONDS
    raw = connection.connection
    try:
        key = watchdog.watch(raw.fileno(), seconds) if seconds > 0 and raw is not None else None
    except psycopg.Error:  # no socket any more: the call itself fails at once, and says why
        key = None
    try:
        yield
    except (OperationalError, InterfaceError) as exc:
        database_outage.failed(exc)
        raise
    finally:
        if key is not None:
            watchdog.release(key)
    database_outage.answered()


def bounded_execute(execute: Callable, sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
    """Django execute_wrapper: every query gets the client-side deadline."""
    with client_deadline(context["connection"]):
        return execute(sql, params, many, context)


def install_deadline(sender: Any, connection: Any, **kwargs: Any) -> None:
    """connection_created receiver: wrap this connection's queries (once per wrapper)."""
    if connection.vendor == "postgresql" and bounded_execute not in connection.execute_wrappers:
        connection.execute_wrappers.append(bounded_execute)

"""psycopg's wait for a database answer, done the gevent way in gevent workers.

psycopg finds `select` patched by gevent and waits with `select.poll()`, which gevent
emulates by building a poll object, an io watcher per descriptor and a result queue for
every wait: two waits per query. This wait asks psycopg's C `ready_c` first (often the
answer is already there), and otherwise parks the greenlet on one io watcher and one
timer of gevent's own loop. Same contract as psycopg's wait functions (`interval`
wake-ups with Ready.NONE, `timeout` raising psycopg's _WaitTimeout), so the deadline
watchdog (tasks.database.deadlines) and psycopg's cancellation work unchanged. Measured in
bench/RESULTS.md, issue 13, "A gevent-native database wait"."""
from time import monotonic
from typing import Any

import psycopg
from gevent.hub import Waiter, get_hub
from psycopg import errors
from psycopg._cmodule import _psycopg


def wait(gen: Any, fileno: int, interval: float = 0.0, timeout: float | None = None) -> Any:
    deadline = monotonic() + timeout if timeout is not None else None
    hub = get_hub()
    try:
        waiting_for = next(gen)
        while True:
            ready = _psycopg.ready_c(fileno, waiting_for)
            if not ready:
                seconds = interval if deadline is None else max(0.0, min(interval, deadline - monotonic()))
                ready = park(hub, fileno, waiting_for, seconds)
            waiting_for = gen.send(ready)
            if deadline is not None and monotonic() >= deadline:
                raise errors._WaitTimeout("wait timeout expired")
    except StopIteration as done:
        return done.value


def park(hub: Any, fileno: int, events: int, seconds: float) -> int:
    """The greenlet sleeps until `fileno` is ready for `events` or `seconds` have passed,
    while the other greenlets run. Returns what is ready, as psycopg's Ready flags (its
    Wait and Ready flags are the read and write bits libev's io watchers take), 0 if none."""
    waiter = Waiter(hub)
    try:
        io = hub.loop.io(fileno, int(events))
    except OSError as error:  # the descriptor is gone: the connection is lost
        raise errors.OperationalError("connection socket closed") from error
    timer = hub.loop.timer(seconds)
    try:
        io.start(waiter.switch, pass_events=True)
        timer.start(waiter.switch, 0)
        return waiter.get() & int(events)
    finally:
        io.stop()
        io.close()
        timer.stop()
        timer.close()


def install() -> None:
    """psycopg's connection looks `waiting.wait` up at each call, so this takes effect for
    every connection; only where psycopg's C extension is there (psycopg[binary])."""
    if _psycopg is not None:
        psycopg.waiting.wait = wait

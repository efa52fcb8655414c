"""gunicorn settings for the Procfile's `web:` line (`--config python:taskflow.server.gunicorn`).

The bind address stays on the Procfile line, where a platform's $PORT is visible.

Why gevent workers (taskflow.server.workers), not threads: not every platform's router buffers
request heads and bodies, so the process reached by `web:` must survive clients that
send slowly or not at all. A gthread worker gives each connection a thread while it
reads the head: 4 threads x 3 workers are 12 slow connections from a stalled service
(measured: 200 slowloris connections held a normal client 29 s, 200 silent ones 10-19 s).
With gevent a waiting connection is a greenlet (a few KiB), up to `worker_connections`
per worker; a head must arrive within `keepalive` seconds and each read within
CLIENT_TIMEOUT_SECONDS. A database or Redis call that waits yields to the others too
(psycopg 3 cooperates with gevent since 3.1.14), so a frozen database no longer holds
every thread and `/health` keeps answering. gevent alone would let every connection's
request into Django at once, to queue for database connections and share the CPU 50 ways
(measured below gthread: bench/RESULTS.md, issue 13, "The 5 s p50, diagnosed"); so
taskflow.server.admission lets DB_POOL_SIZE requests per worker in at a time (the size
of the worker's database pool), after their bodies have arrived; the others wait in
line, bounded. Measured against gthread:
bench/RESULTS.md, issue 13, "Turns".

Rejected: a buffering front started by the web: line (nginx is not on every platform's
image, and it is a second process to supervise per dyno); gthread with more threads
(each slow client still holds one, and each thread is a database connection).

gevent must patch the standard library before anything imports it, and with
preload_app Django (and psycopg, which picks its wait function at import) is loaded in
the master, right after this file: so the patch is here, first. psycopg then finds
`select` patched and waits the gevent way on its own (psycopg.waiting, "gevent" in its
docs), as do psycopg_pool's worker threads, which are greenlets after the patch."""
from gevent import monkey

monkey.patch_all()

import os  # noqa: E402
import sys  # noqa: E402

from taskflow.server.workers import install_json_errors, stop_accepting_first  # noqa: E402


def whole_number(name: str, default: int) -> int:
    """A positive whole number from the environment; otherwise one line, like settings' knobs."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) == 0:
        sys.exit(f"ImproperlyConfigured: {name} must be a positive whole number, not {value!r}")
    return int(value)


def default_workers() -> int:
    """One worker per core this process may run on (a container's limit, not the host's
    count), at least 2. A gevent worker never blocks on a wait, so the "+1" of a
    blocking worker only adds a process that competes for the same cores and keeps its
    own copy of every kept list body: on 2 cores shared with PostgreSQL, 2 workers
    against 3 served get +5 %, the list +37 % (p95 135-263 ms against 484-546), the mix
    +12 % (bench/RESULTS.md, 2026-12-04, run 5)."""
    return max(2, len(os.sched_getaffinity(0)))


workers = whole_number("WEB_CONCURRENCY", default_workers())
worker_class = "taskflow.server.workers.Worker"
# Open connections per worker, slow ones included; past it the worker stops accepting
# and the kernel's backlog (then the other workers) take them.
worker_connections = 1000
# Seconds a request head may take from its first byte, and a new connection's first
# request from the connect. Idle time between requests is taskflow.server.workers.IDLE_SECONDS.
keepalive = 5
# A worker whose event loop is blocked this long (not a slow request: that only blocks
# its greenlet) is restarted.
timeout = 30
# On SIGTERM the instance first refuses new connections (taskflow.server.workers: a proxy's
# connect fails and it retries elsewhere, a POST included, as nothing was sent), the
# workers accept what was already queued, close the socket and finish the requests they
# hold, for at most this long.
graceful_timeout = 20
on_starting = stop_accepting_first
# Load Django once in the master: a refused configuration stops the start with its
# one-line reason instead of a crash loop of workers, and workers share memory pages.
preload_app = True
# The platform's router is the only peer; trust its X-Forwarded-Proto.
forwarded_allow_ips = "*"
# tasks' request log (one JSON line per request) replaces gunicorn's access log.
accesslog = None
errorlog = "-"
# gunicorn's runtime control socket is one fixed path per host: several instances (or
# the test suite's servers) would fight over it, and nothing here uses it.
control_socket_disable = True
# What gunicorn refuses itself (431, 414, 400) is answered in JSON too (the contract).
post_worker_init = install_json_errors

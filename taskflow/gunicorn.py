"""gunicorn settings for the Procfile's `web:` line (`--config python:taskflow.gunicorn`).

The bind address stays on the Procfile line, where a platform's $PORT is visible."""
import os


def default_workers() -> int:
    # Cores this process may run on (a container's limit, not the host's count).
    return max(2, len(os.sched_getaffinity(0)) + 1)


workers = int(os.environ.get("WEB_CONCURRENCY") or 0) or default_workers()
# Threads let a worker overlap database round trips; idle keep-alive connections wait
# in the worker's poller without holding a thread, so 500 clients do not need 500 threads.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS") or 4)
worker_connections = 1000
keepalive = 5
timeout = 30
graceful_timeout = 20
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

"""gunicorn settings for the Procfile's `web:` line (`--config python:taskflow.gunicorn`).

The bind address stays on the Procfile line, where a platform's $PORT is visible."""
import os
import sys

from taskflow.gunicorn_errors import install_json_errors


def whole_number(name: str, default: int) -> int:
    """A positive whole number from the environment; otherwise one line, like settings' knobs."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) == 0:
        sys.exit(f"ImproperlyConfigured: {name} must be a positive whole number, not {value!r}")
    return int(value)


def default_workers() -> int:
    # Cores this process may run on (a container's limit, not the host's count).
    return max(2, len(os.sched_getaffinity(0)) + 1)


workers = whole_number("WEB_CONCURRENCY", default_workers())
# Threads let a worker overlap database round trips; idle keep-alive connections wait
# in the worker's poller without holding a thread, so 500 clients do not need 500 threads.
worker_class = "gthread"
threads = whole_number("GUNICORN_THREADS", 4)
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
# What gunicorn refuses itself (431, 414, 400) is answered in JSON too (the contract).
post_worker_init = install_json_errors

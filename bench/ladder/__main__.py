"""The cost ladder: CPU per request, rung by rung, in one process (no gunicorn, no network).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/DB .venv/bin/python -m bench.ladder [--rounds 5] [--only get,list]

    ... -m bench.ladder --instructions [--only get]   # callgrind instructions instead (slow, load-independent)

    ... --pooled [--rungs 6]   # connections from a pool of one, checked out per request as the
                               # web process does; --rungs: only these rungs (6: the real route)

DB must be seeded (`manage.py seed_demo --users 100 --tasks 1000`). Every rung of every
route is called through WSGI like gunicorn would, in interleaved rounds (each round runs
each rung once, so a change in the machine's load hits every rung alike); the figure is
the median round's CPU time of this process per request, and the database backend's CPU
per request read from /proc/<backend pid>/stat (same machine), which is what PostgreSQL
spent on the statements. Production settings, LOG_LEVEL=INFO unless set (the JSON line written to
/dev/null). Prints a Markdown table; Δ is the rung's cost over the rung above it.

--instructions runs each (route, rung) in two processes under valgrind's callgrind, one
making N and one 3N requests after the same warm-up, and reports the difference of their
instruction totals over 2N: start-up and warm-up cancel out, and no other process's load
changes the figure. It needs valgrind (apt-get install valgrind)."""
import argparse
import logging
import os
import statistics
import subprocess
import tempfile
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
SECRET = "bench-better-auth-secret-0123456789abcdef"
USER, CREATE_USER = "demo-user-0005", "demo-user-0006"
POOLED = "--pooled" in sys.argv  # read before Django's settings are: bench/ladder/settings.py
os.environ["LADDER_POOLED"] = "1" if POOLED else ""
os.environ.update({"ENVIRONMENT": "production", "EMAIL_URL": "smtp://127.0.0.1:9", "DJANGO_SECRET_KEY": "x" * 50, "BETTER_AUTH_SECRET": SECRET,
                   "ALLOWED_HOSTS": "127.0.0.1", "DJANGO_SETTINGS_MODULE": "bench.ladder.settings"})
os.environ.setdefault("LOG_LEVEL", "INFO")  # LOG_LEVEL=WARNING: as bench/run's servers log

import jwt  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402

from bench.wsgicall import call_wsgi  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

full = get_wsgi_application()
with override_settings(MIDDLEWARE=[]):
    bare = WSGIHandler()  # loads the middleware chain (none) once, here
for handler in logging.getLogger().handlers:
    handler.setStream(open(os.devnull, "w"))  # type: ignore[attr-defined]

now = int(time.time())
TOKENS = {user: jwt.encode({"sub": user, "exp": now + 7200, "iat": now}, SECRET, algorithm="HS256")
          for user in (USER, CREATE_USER)}
connection.ensure_connection()
with connection.cursor() as c:
    c.execute("SELECT min(id) FROM tasks WHERE user_id = %s", [USER])
    TASK_ID = c.fetchone()[0]
BACKEND_PID = connection.connection.info.backend_pid

# route -> (method, user, path after /api/<user>/tasks, body (None: a new title per call))
ROUTES = {
    "get": ("GET", USER, f"/{TASK_ID}", b""),
    "list": ("GET", USER, "", b""),
    "patch": ("PATCH", USER, f"/{TASK_ID}", None),
    "create": ("POST", CREATE_USER, "", b'{"title":"ladder create"}'),
}
RUNGS = [  # (label, handler, path prefix)
    ("hello view, no middleware", bare, "/ladder/hello"),
    ("+ the project's middleware", full, "/ladder/hello"),
    ("+ DRF APIView (negotiation, parser, renderer)", full, "/ladder/drf"),
    ("+ authentication (Bearer JWT)", full, "/ladder/auth"),
    ("+ permission, throttle, owner directory", full, "/ladder/permission"),
    ("+ the SQL (route's statement, row as body)", full, "/ladder/sql"),
    ("the real route", full, ""),
]


def call(handler: WSGIHandler, method: str, path: str, user: str, body: bytes) -> str:
    return call_wsgi(handler, method, path, TOKENS[user], body)


def backend_cpu() -> float:
    fields = Path(f"/proc/{BACKEND_PID}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def batch(route: str, rung: int, n: int) -> tuple[float, float]:
    """CPU seconds per request of this process and of the database backend."""
    method, user, tail, body = ROUTES[route]
    _, handler, prefix = RUNGS[rung]
    path = f"{prefix}/api/{user}/tasks{tail}"
    cpu, db = time.process_time(), backend_cpu()
    for i in range(n):
        status = call(handler, method, path, user, body if body is not None else b'{"title":"Renamed %d"}' % i)
    assert status[:1] == "2", (route, RUNGS[rung][0], status)
    return (time.process_time() - cpu) / n, (backend_cpu() - db) / n


def instructions(route: str, rung: int, n: int) -> float:
    """callgrind's instruction count per request of (route, rung): 3n requests minus n."""
    totals = []
    for count in (n, 3 * n):
        with tempfile.NamedTemporaryFile(suffix=".callgrind") as out:
            subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out.name}", sys.executable,
                            "-m", "bench.ladder", "--batch", route, str(rung), str(count), *(["--pooled"] if POOLED else [])],
                           check=True, capture_output=True, cwd=Path(__file__).resolve().parents[2])
            summary = next(line for line in Path(out.name).read_text().splitlines() if line.startswith("summary:"))
            totals.append(int(summary.split()[1]))
    return (totals[1] - totals[0]) / (2 * n)


def print_instructions(routes: list[str], rungs: list[int]) -> None:
    print("| route | rung | instructions/request | Δ |")
    print("|---|---|---:|---:|")
    for route in routes:
        n = 5 if route == "list" else 40
        previous = 0.0
        for rung in rungs:
            label = RUNGS[rung][0]
            count = instructions(route, rung, n)
            print(f"| {route} | {label} | {count:,.0f} | {count - previous:+,.0f} |")
            previous = count
            sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", default=",".join(ROUTES))
    parser.add_argument("--instructions", action="store_true")
    parser.add_argument("--pooled", action="store_true", help="a pool of one connection, checked out per request")
    parser.add_argument("--rungs", default=",".join(str(i) for i in range(len(RUNGS))))
    parser.add_argument("--batch", nargs=3, metavar=("ROUTE", "RUNG", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.batch:  # one measured process of --instructions: warm up, then N requests
        route, rung, n = args.batch[0], int(args.batch[1]), int(args.batch[2])
        batch(route, rung, 20)  # the same warm-up in both processes, so it cancels out
        batch(route, rung, n)
        return
    rungs = [int(i) for i in args.rungs.split(",")]
    if args.instructions:
        print_instructions(args.only.split(","), rungs)
        return
    print("| route | rung | CPU µs/request | Δ µs | database CPU µs/request |")
    print("|---|---|---:|---:|---:|")
    for route in args.only.split(","):
        n = 30 if route == "list" else 600
        for rung in rungs:
            batch(route, rung, max(n // 4, 5))  # warm: caches, prepared statements, owner directory
        rounds = [[batch(route, rung, n) for rung in rungs] for _ in range(args.rounds)]
        previous = 0.0
        for place, rung in enumerate(rungs):
            cpu = statistics.median(r[place][0] for r in rounds) * 1e6
            db = statistics.median(r[place][1] for r in rounds) * 1e6
            print(f"| {route} | {RUNGS[rung][0]} | {cpu:.0f} | {cpu - previous:+.0f} | {db:.0f} |")
            previous = cpu
        sys.stdout.flush()


if __name__ == "__main__":
    main()

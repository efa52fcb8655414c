"""CPU per request in one process, no gunicorn, no network: the WSGI app called directly.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/DB .venv/bin/python bench/inprocess.py get_one [N] [--profile]

DB must be seeded (`manage.py seed_demo`); `create` adds N tasks to demo-user-0005 and
`patch`/`complete` change one task. `ref` is the trivial reference view. Set
DJANGO_SETTINGS_MODULE to try a settings variant. Used for bench/RESULTS.md's
in-process figures, which are steadier than wrk's on a shared machine."""
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
SECRET = "bench-better-auth-secret-0123456789abcdef"
USER = "demo-user-0005"
os.environ.update({"ENVIRONMENT": "production", "DJANGO_SECRET_KEY": "x" * 50, "BETTER_AUTH_SECRET": SECRET,
                   "ALLOWED_HOSTS": "127.0.0.1", "LOG_LEVEL": "WARNING",
                   "EMAIL_URL": "smtp://127.0.0.1:9"})
scenario = sys.argv[1]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.reference.settings" if scenario == "ref" else "taskflow.settings")

import jwt  # noqa: E402
import psycopg  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402

from bench.wsgicall import call_wsgi  # noqa: E402

application = get_wsgi_application()
token = jwt.encode({"sub": USER, "exp": int(time.time()) + 3600, "iat": int(time.time())}, SECRET, algorithm="HS256")
with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
    task_id = conn.execute("SELECT min(id) FROM tasks WHERE user_id = %s", [USER]).fetchone()[0]
ROUTES = {
    "ref": ("GET", "/bench/reference", b""),
    "get_one": ("GET", f"/api/{USER}/tasks/{task_id}", b""),
    "list": ("GET", f"/api/{USER}/tasks", b""),
    "patch": ("PATCH", f"/api/{USER}/tasks/{task_id}", None),
    "complete": ("PATCH", f"/api/{USER}/tasks/{task_id}/complete", b""),
    # Completes once, then finds the task completed: the benchmark's completing PATCH.
    "patch_completing": ("PATCH", f"/api/{USER}/tasks/{task_id}", b'{"is_completed":true}'),
    "create": ("POST", f"/api/{USER}/tasks", b'{"title":"bench-new in-process"}'),
}


def call(i: int) -> str:
    method, path, body = ROUTES[scenario]
    body = body if body is not None else b'{"title":"Renamed %d"}' % i
    return call_wsgi(application, method, path, token, body)


if __name__ == "__main__":
    n = int(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2].isdigit() else 2000
    assert call(0)[:1] == "2", call(0)
    for i in range(200):
        call(i)
    if "--profile" in sys.argv:
        import cProfile
        import pstats

        cProfile.run("for i in range(n): call(i)", "/tmp/inprocess.prof")
        pstats.Stats("/tmp/inprocess.prof").sort_stats("cumulative").print_stats(40)
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(n):
        call(i)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{scenario}: {wall / n * 1e3:.3f} ms wall, {cpu / n * 1e3:.3f} ms CPU per request ({n} requests)")

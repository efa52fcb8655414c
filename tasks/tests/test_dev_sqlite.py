"""`bin/dev` runs on SQLite: the contract's routes work there too (in a subprocess, since
this suite's own database is PostgreSQL)."""
import json
import subprocess
import sys
from pathlib import Path

from .conftest import ROOT

SCRIPT = r"""
import json, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from io import StringIO
out = StringIO(); call_command("mint_token", "dev-user", stdout=out)
from rest_framework.test import APIClient
api = APIClient(); api.credentials(HTTP_AUTHORIZATION="Bearer " + out.getvalue().strip())
base = "/api/dev-user/tasks"
results = []
def call(method, path, body=None):
    r = api.generic(method, path, json.dumps(body) if body is not None else "", content_type="application/json")
    results.append([method, r.status_code, r.json() if r.content else None])
    return r
created = call("POST", base, {"title": "  on sqlite  "}).json()
url = f"{base}/{created['id']}"
call("GET", base); call("GET", url); call("PATCH", url, {}); call("PATCH", url, {"description": "d"})
call("PUT", url, {"title": "put"}); call("PATCH", url + "/complete"); call("DELETE", url); call("GET", url)
print(json.dumps(results))
"""


def test_every_route_works_on_the_sqlite_default(tmp_path: Path) -> None:
    env = {"PATH": str(Path(sys.executable).parent), "DJANGO_SETTINGS_MODULE": "taskflow.settings",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'dev.sqlite3'}"}

    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout.strip().splitlines()[-1])
    assert [(method, status) for method, status, _ in results] == [
        ("POST", 201), ("GET", 200), ("GET", 200), ("PATCH", 200), ("PATCH", 200), ("PUT", 200), ("PATCH", 200),
        ("DELETE", 204), ("GET", 404)]
    created, listed, fetched, unchanged = (r[2] for r in results[:4])
    assert created["title"] == "on sqlite" and listed == [created] and fetched == created == unchanged
    assert results[4][2]["description"] == "d" and results[5][2]["title"] == "put"
    assert results[6][2]["is_completed"] is True and results[6][2]["description"] == "d"

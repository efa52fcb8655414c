"""taskflow.greenwait, psycopg's wait in the gevent web workers: while one greenlet waits
for the database the others run, an answer arrives whole, and a connection cut under a
waiting query (tasks.database.deadlines' watchdog does that) raises at once. Run in a subprocess:
gevent must patch the standard library before anything else is imported, which the test
process itself must not have."""
import json
import subprocess
import sys
from pathlib import Path

from tasks.tests.conftest import database_url

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = r"""
from gevent import monkey
monkey.patch_all()
import json, os, socket, sys, time
import gevent, psycopg
from taskflow import greenwait
greenwait.install()

ticks = 0
def tick():
    global ticks
    while True:
        gevent.sleep(0.01)
        ticks += 1

gevent.spawn(tick)
with psycopg.connect(sys.argv[1], autocommit=True) as conn:
    started = time.monotonic()
    rows = conn.execute("SELECT 0, n FROM pg_sleep(0.5), generate_series(1, 20000) AS n").fetchall()
    slept = time.monotonic() - started
    ticks_while_waiting = ticks

    fileno = conn.fileno()
    def cut():  # as tasks.database.deadlines.shut_down does
        gevent.sleep(0.3)
        socket.socket(fileno=os.dup(fileno)).shutdown(socket.SHUT_RDWR)
    gevent.spawn(cut)
    started = time.monotonic()
    try:
        conn.execute("SELECT pg_sleep(10)")
        error = None
    except psycopg.OperationalError as exc:
        error = type(exc).__name__
    cut_after = time.monotonic() - started
print(json.dumps({"ours": psycopg.waiting.wait is greenwait.wait, "rows": len(rows), "last": rows[-1][1],
                  "slept": slept, "ticks": ticks_while_waiting, "error": error, "cut_after": cut_after}))
"""


def test_a_database_wait_lets_other_greenlets_run_and_a_cut_connection_raises_at_once() -> None:
    url = database_url("postgres")
    done = subprocess.run([sys.executable, "-c", SCRIPT, url], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["ours"] is True
    assert (seen["rows"], seen["last"]) == (20000, 20000)
    # 0.5 s of waiting, 10 ms ticks: the ticker ran all along (a blocking wait gives 0).
    assert seen["slept"] >= 0.5 and seen["ticks"] >= 25
    assert seen["error"] == "OperationalError" and seen["cut_after"] < 2

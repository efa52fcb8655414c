"""The fault suite, the database's part: PostgreSQL frozen (whole, under CPU pressure, one
backend inside its COMMIT) and PgBouncer in transaction mode, each reproduced against
servers of its own (faultlab) with the bound it asserts. Every case prints one
`FAULT name: 2xx=… 503=… other=… slowest_s=… lost_writes=…` line (also appended to
$FAULTS_RESULTS when set); the clients' part is test_faults_clients.py.

Run it: `bin/test -m faults` (both files, about three minutes; CI runs it). The load is
20 clients, each its own user, alternating POST and GET (faultload)."""
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pytest
import requests

from tasks.tests import faultlab, faultload
from tasks.tests.conftest import ROOT, WebServer, platform_env, procfile_command
from tasks.tests.faultload import DB_BOUND_S, NORMAL_BOUND_S, error_lines, get_tasks

pytestmark = [pytest.mark.faults, pytest.mark.slow]


# --- PostgreSQL hangs ------------------------------------------------------------------------
def test_frozen_database_answers_503_within_bound_and_recovers(start_app: Callable[..., WebServer], fault_pg: Any,
                                                                fault_db_url: str) -> None:
    server = start_app()
    probes: list[tuple[int, float, str | None]] = []
    with faultload.load(server.url) as tally:
        time.sleep(2)
        log_before = len(server.log_text())
        fault_pg.freeze()
        frozen_at = time.monotonic()
        try:
            while time.monotonic() - frozen_at < 15:
                started = time.monotonic()
                try:
                    status = requests.get(f"{server.url}/health", timeout=10).status_code
                except requests.RequestException:
                    status = 0
                probes.append((status, time.monotonic() - started, None))
                time.sleep(0.5)
            try:
                answer = get_tasks(server, timeout=20)
            except requests.RequestException as exc:
                answer = exc
        finally:
            fault_pg.thaw()
            thawed_at = time.monotonic()
        recovery = faultload.wait_until(lambda: get_tasks(server, timeout=DB_BOUND_S).status_code == 200, 30, "recovery")
        time.sleep(2)
    during = tally.between(frozen_at, thawed_at)
    outage_log = server.log_text()[log_before:]
    lost = faultload.lost_writes(fault_db_url, tally)
    faultload.report("pg_frozen_15s", during, lost, health_slowest_s=round(max(p[1] for p in probes), 2),
                    recovery_s=round(recovery, 1), error_log_lines=len(error_lines(outage_log)))
    assert during.counts()["slowest_s"] < DB_BOUND_S
    assert during.counts()["503"] > 0
    assert isinstance(answer, requests.Response) and answer.status_code == 503 and answer.headers["Retry-After"] == "5"
    assert answer.json() == {"detail": "Database unavailable"}
    assert all(status == 200 and seconds < NORMAL_BOUND_S for status, seconds, _ in probes)
    assert lost == 0
    # One line per outage per worker process (2 workers), not one per failed request.
    assert len(error_lines(outage_log)) <= 2 * 2, outage_log[-3000:]


def test_frozen_database_under_cpu_pressure_answers_within_bound(start_app: Callable[..., WebServer],
                                                                  fault_pg: Any) -> None:
    """The bound holds when the machine is busy: 4 CPU burners on top of the service, then
    ten parallel requests on a frozen database, twice (the second wave arrives once the
    outage is known)."""
    server = start_app()
    subs = [uuid.uuid4().hex for _ in range(10)]
    assert all(get_tasks(server, sub).status_code == 200 for sub in subs)  # warm: the pools' connections

    def timed_get(sub: str) -> tuple[int, float]:
        started = time.monotonic()
        try:
            status = get_tasks(server, sub, timeout=30).status_code
        except requests.RequestException:
            status = 0
        return status, time.monotonic() - started

    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(4)]
    waves = []
    try:
        time.sleep(1)
        fault_pg.freeze()
        try:
            with ThreadPoolExecutor(10) as pool:
                for _ in range(2):
                    waves.append(list(pool.map(timed_get, subs)))
        finally:
            fault_pg.thaw()
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()
    tally = faultload.Tally()
    for status, seconds in [answer for wave in waves for answer in wave]:
        tally.add(status, 0, seconds)
    faultload.report("pg_frozen_cpu_saturated_10x2", tally, wave_slowest_s=[round(max(t for _, t in w), 2) for w in waves])
    assert [status for wave in waves for status, _ in wave] == [503] * 20
    assert tally.counts()["slowest_s"] < DB_BOUND_S


def test_a_backend_frozen_in_its_commit_answers_503_within_bound(start_app: Callable[..., WebServer],
                                                                 fault_db_url: str) -> None:
    """COMMIT has the client deadline too: Django commits outside execute_wrappers. A
    deferred constraint trigger that sleeps makes the COMMIT last long enough to stop
    that one backend (SIGSTOP) in the middle of it."""
    server = start_app()
    sub = uuid.uuid4().hex
    headers = {"Authorization": f"Bearer {faultload.token_for(sub)}", "X-Forwarded-Proto": "https"}
    task = requests.post(f"{server.url}/api/{sub}/tasks", json={"title": "commit"}, headers=headers, timeout=30).json()
    answer: dict[str, Any] = {}

    def complete() -> None:
        started = time.monotonic()
        try:
            response = requests.patch(f"{server.url}/api/{sub}/tasks/{task['id']}", json={"is_completed": True},
                                      headers=headers, timeout=30)
            answer.update(status=response.status_code, body=response.json(), retry_after=response.headers.get("Retry-After"))
        except requests.RequestException as exc:
            answer.update(status=0, body=repr(exc), retry_after=None)
        answer["seconds"] = time.monotonic() - started

    with psycopg.connect(fault_db_url, autocommit=True) as admin:
        admin.execute("CREATE FUNCTION sleep_at_commit() RETURNS trigger LANGUAGE plpgsql AS "
                      "$$ BEGIN PERFORM pg_sleep(2); RETURN NULL; END $$")
        admin.execute("CREATE CONSTRAINT TRIGGER sleep_at_commit AFTER UPDATE ON tasks DEFERRABLE INITIALLY DEFERRED "
                      "FOR EACH ROW EXECUTE FUNCTION sleep_at_commit()")
        stopped: list[int] = []
        try:
            patch = threading.Thread(target=complete)
            patch.start()

            def sleeping_backend() -> bool:
                row = admin.execute("SELECT pid, query FROM pg_stat_activity WHERE wait_event = 'PgSleep'").fetchone()
                if row:
                    os.kill(row[0], signal.SIGSTOP)
                    stopped.append(row[0])
                return bool(row)

            faultload.wait_until(sleeping_backend, 10, "a backend sleeping in its COMMIT")
            patch.join(40)
        finally:
            for pid in stopped:
                os.kill(pid, signal.SIGCONT)
            admin.execute("DROP TRIGGER IF EXISTS sleep_at_commit ON tasks")
            admin.execute("DROP FUNCTION IF EXISTS sleep_at_commit()")
    after = requests.get(f"{server.url}/api/{sub}/tasks/{task['id']}", headers=headers, timeout=30)
    tally = faultload.Tally()
    tally.add(answer["status"], 0, answer["seconds"])
    faultload.report("pg_backend_frozen_in_commit", tally, completed_after=after.json().get("is_completed"))
    assert (answer["status"], answer["body"], answer["retry_after"]) == (503, {"detail": "Database unavailable"}, "5")
    assert answer["seconds"] < DB_BOUND_S
    # Either committed or not, whichever the server decided: never a 200 for a lost write.
    assert after.status_code == 200 and after.json()["is_completed"] in (True, False)



# --- Neon's pooler: PgBouncer in transaction mode -------------------------------------------------------
def test_pgbouncer_transaction_mode(start_app: Callable[..., WebServer], fault_dir: Any, fault_pg: Any,
                                     fault_db_url: str) -> None:
    bouncer = faultlab.pgbouncer(fault_dir, fault_pg)
    pooled_url = f"postgres://postgres@127.0.0.1:{bouncer.port}/taskflow_faults"
    try:
        # The release step (direct URL) stores the statement timeout as the role's setting.
        release = subprocess.run(["bash", "-c", procfile_command("release")], cwd=ROOT, capture_output=True, text=True,
                                 env=platform_env(fault_db_url, DB_STATEMENT_TIMEOUT_MS="1000"), timeout=300)
        assert release.returncode == 0, release.stderr
        server = start_app(pooled_url, DB_POOLER="transaction", DB_STATEMENT_TIMEOUT_MS="1000")
        with faultload.load(server.url) as tally:
            time.sleep(5)
        lost = faultload.lost_writes(fault_db_url, tally)

        # A row held by a lock: the statement timeout, not the client-side deadline, ends the wait.
        sub = uuid.uuid4().hex
        headers = {"Authorization": f"Bearer {faultload.token_for(sub)}", "X-Forwarded-Proto": "https"}
        task = requests.post(f"{server.url}/api/{sub}/tasks", json={"title": "locked"}, headers=headers, timeout=30).json()
        with psycopg.connect(fault_db_url) as holder:
            holder.execute("SELECT 1 FROM tasks WHERE id = %s FOR UPDATE", [task["id"]])
            started = time.monotonic()
            blocked = requests.patch(f"{server.url}/api/{sub}/tasks/{task['id']}", json={"title": "x"},
                                     headers=headers, timeout=30)
            blocked_s = time.monotonic() - started
            waiting = holder.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'").fetchone()[0]
        pg_log = (fault_pg.directory / "pg.log").read_text(errors="replace")

        # No session state left on the pooler's server connections for the next client.
        with psycopg.connect(pooled_url, autocommit=True, prepare_threshold=None) as other:
            sources = {other.execute("SELECT source FROM pg_settings WHERE name = 'statement_timeout'").fetchone()[0]
                       for _ in range(30)}
        faultload.report("pgbouncer_transaction_mode", tally, lost, locked_patch_s=round(blocked_s, 2),
                        statement_timeout_sources=sorted(sources))
        assert tally.counts()["2xx"] == len(tally.answers) > 0, tally.counts()
        assert "prepared statement" not in server.log_text()
        assert lost == 0
        assert blocked.status_code == 503 and blocked_s < 4
        assert waiting == 0 and "canceling statement due to statement timeout" in pg_log
        assert "session" not in sources
    finally:
        bouncer.stop()

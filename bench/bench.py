"""bench/run's driver: a database of its own, the service started from the Procfile and a
trivial-DRF reference beside it, wrk scenarios against both, one table, JSON and a PNG.

Everything it starts (database, gunicorn process groups) it removes, by PID and by name,
also on Ctrl-C. See README.md, "Benchmark"."""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import psycopg
from options import parse_args  # bench/ is on sys.path when run as bench/bench.py

ROOT = Path(__file__).resolve().parents[1]
sys.path.append(str(ROOT))  # after bench/: `bench` stays this script for report.py
from launch import platform_env, procfile_command  # noqa: E402
from luadata import (LOGIN_ACCOUNTS, LOGIN_PASSWORD, SECRET, USERS, delete_pool,  # noqa: E402,F401  # re-exported
                     remove_bench_tasks, write_data)
from servers import STARTED, Server, checkout, settle, start_server  # noqa: E402

OUT = ROOT / "bench" / "out"
ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
TASKS = 1000
WRITES = {"patch", "complete", "create", "create_key", "delete", "mix", "open"}
# Issue 21's targets, as ratios to the reference (same run); the list's p95 < 500 ms too.
RATIO_TARGETS = {"get_one": 0.5, "patch": 0.35, "create": 0.35, "complete": 0.35, "mix": 0.33, "list": 0.15,
                 "list_revalidate": 0.5}
# Scenarios that replay what a client stored: each user's list ETag / last sync token.
NEEDS_VERSIONS = {"list_revalidate", "changes"}
CONNECTIONS = {"login": 4}


# --- wrk --------------------------------------------------------------------------------------
def wrk(server: Server, scenario: str, data: Path, connections: int, seconds: float, paced: bool = False) -> dict[str, Any]:
    script = "bench/paced.lua" if paced else "bench/taskflow.lua"
    threads = 2 if connections >= 2 else 1
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
               "-s", script, server.url, "--", scenario, str(data), str(threads), str(connections // threads)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=seconds + 60)
    match = re.search(r"BENCH_JSON (\{.*\})", done.stdout)
    if done.returncode != 0 or not match:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    raw = json.loads(match.group(1))
    rps = raw["requests"] / (raw["duration_us"] / 1e6)
    return {
        "scenario": scenario, "server": server.name, "connections": connections, "rps": rps,
        "p50_ms": raw["p50"] / 1000, "p95_ms": raw["p95"] / 1000, "p99_ms": raw["p99"] / 1000,
        "max_ms": raw["max"] / 1000, "requests": raw["requests"], "non2xx": raw["status"],
        "socket_errors": raw["connect"] + raw["read"] + raw["write"] + raw["timeout"], "raw": raw,
    }


# The part of each scenario's requests that are DELETEs (taskflow.lua's mix: 5 %).
DELETE_SHARE = {"delete": 1.0, "mix": 0.05}


@dataclass
class Bench:
    args: argparse.Namespace
    db_url: str
    run_dir: Path
    app: Server
    ref: Server
    base: Server | None = None  # --against(-web): the same scenarios on another tree or server
    results: list[dict[str, Any]] = field(default_factory=list)

    def run(self, server: Server, scenario: str, connections: int, seconds: float, paced: bool = False,
            pool: int = 0, record: bool = True, repeat: int = 0) -> dict[str, Any]:
        data = self.run_dir / f"data-{scenario}.lua"
        db_url = server.db_url or self.db_url
        if pool:
            time.sleep(1)  # requests still in flight from the previous run must not hit the new pool
        write_data(db_url, data, delete_pool(db_url, pool) if pool else [],
                   versions_from=server.url if scenario in NEEDS_VERSIONS else "",
                   accounts_from=server.url if scenario == "login" else "")
        result = wrk(server, scenario, data, connections, seconds, paced)
        result["repeat"] = repeat
        if record:
            self.results.append(result)
            print(f"  {server.name:4} {scenario:9} c={connections:<3} {result['rps']:8.0f} req/s  "
                  f"p50 {result['p50_ms']:7.1f}  p95 {result['p95_ms']:7.1f}  p99 {result['p99_ms']:7.1f} ms  "
                  f"non-2xx {result['non2xx']}  socket errors {result['socket_errors']}", flush=True)
        return result

    def scenario(self, server: Server, name: str, connections: int, repeat: int = 0, pair: str = "") -> None:
        seconds, warm = self.args.duration, self.args.warmup
        # Enough tasks to delete at the reference's rate (the app is never faster) over
        # warm-up and run, and no more: every pool task also lengthens its user's list,
        # and an oversized pool (once 2x the reference rate for *every* mix request) made
        # long mix runs measure lists of 20,000 tasks instead of 1,000.
        share = DELETE_SHARE.get(name, 0.0)
        pool = int(max(1000, 1.2 * share * self.ref_rps * (seconds + warm))) if share else 0
        if warm:
            self.run(server, name, connections, warm, pool=pool, record=False)
        self.run(server, name, connections, seconds, pool=pool, repeat=repeat)
        self.results[-1]["pair"] = pair or name
        if name in WRITES and name != "create":  # create's tasks are what delete deletes
            remove_bench_tasks(server.db_url or self.db_url)
        server.sample_rss(f"{name}@{connections}")

    ref_rps: float = 3000.0


def admin_sql(statement: str) -> None:
    with psycopg.connect(f"{ADMIN_URL}/postgres", autocommit=True) as conn:
        conn.execute(statement)


def prepare_database(name: str, env: dict[str, str], root: Path = ROOT) -> str:
    admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin_sql(f'CREATE DATABASE "{name}"')
    url = f"{ADMIN_URL}/{name}"
    # The platform's build step first: production refuses to serve without collected static.
    for command, timeout in [("python manage.py collectstatic --noinput", 300), (procfile_command("release", root / "Procfile"), 300),
                             (f"python manage.py seed_demo --users {USERS} --tasks {TASKS}", 300)]:
        started = time.monotonic()
        done = subprocess.run(["bash", "-c", command], cwd=root, env={**env, "DATABASE_URL": url},
                              capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise SystemExit(f"{command} failed:\n{done.stdout}\n{done.stderr}")
        print(f"  {command}: {time.monotonic() - started:.1f} s {done.stdout.strip().splitlines()[-1:] or ''}")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE tasks")
    return url


def main(argv: list[str]) -> int:
    from report import finish  # bench/ is on sys.path when run as bench/bench.py

    args = parse_args(argv)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    run_dir = OUT / stamp
    run_dir.mkdir(parents=True, exist_ok=True)
    db_name = f"taskflow_bench_{os.getpid()}"
    extra = dict(item.split("=", 1) for item in args.env)
    env = platform_env(f"{ADMIN_URL}/{db_name}", SECRET, LOG_LEVEL="WARNING", **extra)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
        print(f"== load average at the start (1, 5, 15 min): {load}: benchmark only on a quiet machine")
        print(f"== database {db_name}: migrate, seed {USERS} x {TASKS}, VACUUM ANALYZE")
        db_url = prepare_database(db_name, env)
        print("== servers (Procfile web: line, production settings)")
        app = start_server("app", "taskflow.wsgi", env, run_dir)
        ref = start_server("ref", "bench.reference.wsgi", env, run_dir)
        base = None
        if args.against or args.against_web:
            tree = checkout(args.against, run_dir) if args.against else ROOT
            print(f"== {args.against_label} {args.against or args.against_web}: tree {tree}, database {db_name}_base")
            base_env = platform_env(f"{ADMIN_URL}/{db_name}_base", SECRET, LOG_LEVEL="WARNING", **extra)
            prepare_database(f"{db_name}_base", base_env, tree)
            base = start_server("base", "taskflow.wsgi", base_env, run_dir, tree, command=args.against_web)
        settle([s for s in (app, ref, base) if s])
        bench = Bench(args, db_url, run_dir, app, ref, base)
        run_all(bench)
        servers = [s for s in (app, ref, base) if s]
        problems = {s.name: s.log_problems() for s in servers}
        for server in servers:
            server.sample_rss("end")
        return finish(bench, problems, stamp, run_dir)
    finally:
        for server in STARTED:
            server.stop()
        admin_sql(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        admin_sql(f'DROP DATABASE IF EXISTS "{db_name}_base" WITH (FORCE)')


@contextmanager
def seeded_app(db_name: str, run_dir: Path, database_settings: dict[str, str] | None = None) -> Iterator[tuple[str, Server]]:
    """For the one-server tools (bench/flames.py, bench/statements.py): a database of
    their own, seeded as bench/run seeds it (`database_settings` set on it with ALTER
    DATABASE, before any session), the Procfile server on it; both removed afterwards."""
    env = platform_env(f"{ADMIN_URL}/{db_name}", SECRET, LOG_LEVEL="WARNING")
    try:
        print(f"== load average at the start: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
        db_url = prepare_database(db_name, env)
        for name, value in (database_settings or {}).items():
            admin_sql(f'ALTER DATABASE "{db_name}" SET {name} = \'{value}\'')
        yield db_url, start_server("app", "taskflow.wsgi", env, run_dir)
        print(f"== load average at the end: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    finally:
        for server in STARTED:
            server.stop()
        admin_sql(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')


def run_all(bench: Bench) -> None:
    args = bench.args
    names = (args.only or "ref_row,get_one,list,list_filtered,list_revalidate,changes,create,delete,patch,complete,mix").split(",")
    for repeat in range(args.repeat):
        print(f"== 100 connections, run {repeat + 1} of {args.repeat}")
        for name in names:
            # The machine is shared: a reference run right before each scenario, and the
            # ratio taken against that one, keeps other people's load out of the ratios.
            bench.scenario(bench.ref, "ref", 100, repeat, pair=name)
            bench.ref_rps = bench.results[-1]["rps"]
            # ref_row is the reference server's own (bench/reference/urls.py): no tree to compare.
            server = bench.ref if name == "ref_row" else bench.app
            bench.scenario(server, name, CONNECTIONS.get(name, 100), repeat, pair=name)
            if bench.base and server is bench.app:  # A/B in the same run: its own reference run right before it too
                bench.scenario(bench.ref, "ref", 100, repeat, pair=f"{name}@base")
                bench.ref_rps = bench.results[-1]["rps"]
                bench.scenario(bench.base, name, CONNECTIONS.get(name, 100), repeat, pair=f"{name}@base")
    if not args.no_open:
        print("== paced: 100 users, about 1 request/s each (mix)")
        pool = int(100 * (args.open_seconds + 5))
        bench.run(bench.app, "mix", 100, args.open_seconds, paced=True, pool=pool)
        bench.results[-1]["scenario"] = "open"
        remove_bench_tasks(bench.db_url)
    if not args.no_scaling:
        print("== connections 10..500")
        for connections in (10, 50, 100, 200, 500):
            for server, name in ((bench.ref, "ref"), (bench.app, "get_one"), (bench.app, "list")):
                if connections == 100 and args.repeat and name in names + ["ref"]:
                    continue  # measured above
                bench.scenario(server, name, connections, pair="scaling")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

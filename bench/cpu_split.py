"""CPU per request by process kind under load: the web server's processes, PostgreSQL's
backends and the rest of the machine, from /proc, while wrk drives one scenario.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/DB .venv/bin/python bench/cpu_split.py SCENARIO [SECONDS] [COMMAND]

DB must be seeded as bench/run seeds it (`manage.py seed_demo --users 100 --tasks
1000`). COMMAND is a web: line binding 127.0.0.1:$PORT (default: the Procfile's, in
production mode); `ref` with bench/run's REFERENCE_COMMAND measures the yardstick. wrk
runs 5 s to warm up (every worker keeps every user's list: tasks.list_bodies), then
SECONDS (default 8) at 100 connections. Also prints PostgreSQL's rows returned and
transactions per request (pg_stat_database; its counters are flushed about once a
second, so 2 s are waited before each read). What bench/inprocess.py measures without
the server, this measures with it: the difference is the server's share (HTTP, sockets,
scheduling, colder caches under concurrency)."""
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench.py's own imports
sys.path.append(str(Path(__file__).resolve().parents[1]))  # launch.py
from launch import platform_env  # noqa: E402
from luadata import SECRET, write_data  # noqa: E402
from servers import ROOT, settle, start_server  # noqa: E402

CONNECTIONS, WARM_SECONDS = 100, 5
DATABASE_STATS = "SELECT tup_returned, xact_commit FROM pg_stat_database WHERE datname = current_database()"


def cpu_ticks() -> dict[int, tuple[str, int, int]]:
    """Every process's (kind, user ticks, system ticks)."""
    ticks = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            raw = stat.read_text()
        except OSError:
            continue
        name, fields = raw[raw.index("(") + 1:raw.rindex(")")], raw.rsplit(")", 1)[1].split()
        kind = "postgres" if name.startswith("postgres") else "web" if name.startswith(("python", "gunicorn")) else "other"
        ticks[int(stat.parent.name)] = (kind, int(fields[11]), int(fields[12]))
    return ticks


def machine_ticks() -> int:
    """CPU ticks of the whole machine, all CPUs (user .. softirq of /proc/stat's first line)."""
    return sum(map(int, Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]))


def database_stats(url: str) -> tuple[int, int]:
    time.sleep(2)
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(DATABASE_STATS).fetchone()


def main(argv: list[str]) -> int:
    scenario, seconds = argv[0], int(argv[1]) if len(argv) > 1 else 8
    command = argv[2] if len(argv) > 2 else ""  # "": start_server's own choice (reference or Procfile)
    db_url = os.environ["DATABASE_URL"]
    run_dir = ROOT / "bench" / "out" / f"cpu-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}"
    run_dir.mkdir(parents=True, exist_ok=True)
    wsgi = "bench.reference.wsgi" if scenario == "ref" else "taskflow.wsgi"
    server = start_server("ref" if scenario == "ref" else "app", wsgi, platform_env(db_url, SECRET, LOG_LEVEL="WARNING"),
                          run_dir, command=command)
    try:
        settle([server])
        data = run_dir / "data.lua"
        write_data(db_url, data, [])
        wrk = ["wrk", "-t2", f"-c{CONNECTIONS}", "--timeout", "10s", "-s", "bench/taskflow.lua", server.url,
               "--", scenario, str(data), "2", str(CONNECTIONS // 2)]
        subprocess.run(wrk[:3] + [f"-d{WARM_SECONDS}s"] + wrk[3:], cwd=ROOT, capture_output=True, check=True)
        rows_before, ticks_before = database_stats(db_url), cpu_ticks()
        machine_before = machine_ticks()
        done = subprocess.run(wrk[:3] + [f"-d{seconds}s"] + wrk[3:], cwd=ROOT, capture_output=True, text=True, check=True)
        machine = machine_ticks() - machine_before
        ticks_after, rows_after = cpu_ticks(), database_stats(db_url)
    finally:
        server.stop()
    requests = float(re.search(r"(\d+) requests in", done.stdout).group(1))
    per_kind: dict[str, list[int]] = {}
    for pid, (kind, user, system) in ticks_after.items():
        _, user_before, system_before = ticks_before.get(pid, (kind, 0, 0))
        totals = per_kind.setdefault(kind, [0, 0])
        totals[0] += user - user_before
        totals[1] += system - system_before
    tick_ms = 1000 / os.sysconf("SC_CLK_TCK")
    print(f"{scenario}: {requests / seconds:.0f} req/s; CPU ms per request (user + system):")
    for kind, (user, system) in sorted(per_kind.items()):
        print(f"  {kind:9} {user * tick_ms / requests:6.3f} + {system * tick_ms / requests:6.3f}")
    print(f"  machine   {machine * tick_ms / requests:6.3f} (all CPUs, wrk and the kernel included)")
    print(f"  PostgreSQL rows returned {(rows_after[0] - rows_before[0]) / requests:.1f}, "
          f"transactions {(rows_after[1] - rows_before[1]) / requests:.2f} per request")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

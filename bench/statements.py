"""Statements per request as PostgreSQL counts them, under load: its own statement log.

    .venv/bin/python bench/statements.py [--only get_one,list,...] [--seconds 3]

Same database, seed and server as bench/run (bench/bench.py's functions). The bench
database gets `log_statement = 'all'` (ALTER DATABASE, so only its sessions log), the
server is started from the Procfile, and each scenario runs once to warm up (statements
prepared, list bodies kept: the steady state) and then for --seconds at 4 connections;
every `statement:` / `execute ...:` line the server wrote for this database meanwhile
is counted, by first word, and divided by the requests wrk completed. Needs the server's
log file (Debian's /var/log/postgresql/postgresql-<version>-main.log; PG_LOG to change).
tasks/tests/test_statements.py proves the same counts per route on the wire; this is
the figure under load, from PostgreSQL's side."""
import argparse
import collections
import os
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench.py's own imports
import bench as harness  # noqa: E402  # bench/bench.py, not the package

SCENARIOS = "get_one,list,list_revalidate,create,delete,patch,complete"


def server_log() -> Path:
    if os.environ.get("PG_LOG"):
        return Path(os.environ["PG_LOG"])
    logs = sorted(Path("/var/log/postgresql").glob("postgresql-*-main.log"))
    if not logs:
        raise SystemExit("no PostgreSQL server log found: set PG_LOG")
    return logs[-1]


def statements_since(log: Path, offset: int, db_name: str) -> collections.Counter:
    line = re.compile(rf"@{re.escape(db_name)} LOG:  (?:statement|execute [^:]*): (\S+)")
    with log.open("rb") as file:
        file.seek(offset)
        text = file.read().decode(errors="replace")
    return collections.Counter(match.group(1).upper() for match in line.finditer(text))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default=SCENARIOS)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args(argv)
    log = server_log()
    run_dir = harness.OUT / f"statements-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}"
    run_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    with harness.seeded_app(f"taskflow_statements_{os.getpid()}", run_dir, {"log_statement": "all"}) as (db_url, app):
        db_name = db_url.rsplit("/", 1)[1]
        driver = harness.Bench(argparse.Namespace(duration=args.seconds, warmup=1), db_url, run_dir, app, app)
        for name in args.only.split(","):
            pool = 5000 if name in harness.DELETE_SHARE else 0
            driver.run(app, name, 4, 1, pool=pool, record=False)  # the steady state: prepared, lists kept
            time.sleep(0.5)
            offset = log.stat().st_size
            result = driver.run(app, name, 4, args.seconds, pool=pool, record=False)
            time.sleep(0.5)  # the last lines written
            counts = statements_since(log, offset, db_name)
            requests = result["requests"]
            per_request = sum(counts.values()) / requests
            words = ", ".join(f"{word} {count / requests:.2f}" for word, count in counts.most_common())
            rows.append(f"| {name} | {requests} | {per_request:.2f} | {words} | {result['non2xx']} |")
            if name in harness.WRITES and name != "create":
                harness.remove_bench_tasks(db_url)
    print("| scenario | requests | statements per request | by first word | non-2xx |")
    print("|---|---:|---:|---|---:|")
    print("\n".join(rows))
    return 0

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Flame graphs of the service under load: one SVG per scenario, taken by py-spy from every
worker of the Procfile's web: server while wrk drives that scenario at 100 connections.

    .venv/bin/python bench/flames.py [--only get_one,list,patch,create] [--seconds 10]

Same database, seed and server as bench/run (bench/bench.py's own functions); the SVGs go
to bench/flames/<scenario>.svg. py-spy samples at 100 Hz without pausing the workers
(--nonblocking), so the load is what bench/run measures; a worker's time in gevent's hub
(waiting for sockets) shows as the hub's frames. Run it on a quiet machine only (it is a
benchmark: nothing else running), as root or with ptrace allowed."""
import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench.py's own imports
import bench as harness  # noqa: E402  # bench/bench.py, not the package

OUT = harness.ROOT / "bench" / "flames"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="get_one,list,patch,create")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--raw", action="store_true", help="collapsed stacks (<scenario>.txt) instead of SVGs, to read with grep")
    args = parser.parse_args(argv)
    run_dir = harness.OUT / f"flames-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}"
    run_dir.mkdir(parents=True, exist_ok=True)
    OUT.mkdir(exist_ok=True)
    with harness.seeded_app(f"taskflow_flames_{os.getpid()}", run_dir) as (db_url, app):
        driver = harness.Bench(argparse.Namespace(duration=args.seconds, warmup=2), db_url, run_dir, app, app)
        for name in args.only.split(","):
            svg = OUT / f"{name}.{'txt' if args.raw else 'svg'}"
            pool = 20_000 if name in harness.DELETE_SHARE else 0
            driver.run(app, name, 100, 2, pool=pool, record=False)  # warm-up
            spy = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(app.gunicorn_pid()),
                                    "--subprocesses", "--nonblocking", "--rate", "100", "--duration", str(round(args.seconds)),
                                    "--format", "raw" if args.raw else "flamegraph", "--output", str(svg)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            result = driver.run(app, name, 100, args.seconds, pool=pool, record=False)
            _, errors = spy.communicate(timeout=args.seconds + 60)
            if spy.returncode != 0:
                raise SystemExit(f"py-spy failed on {name}: {errors}")
            if name in harness.WRITES and name != "create":
                harness.remove_bench_tasks(db_url)
            print(f"  {name}: {result['rps']:.0f} req/s, p95 {result['p95_ms']:.0f} ms -> {svg.relative_to(harness.ROOT)}")
    return 0

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

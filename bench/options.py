"""bench/run's options, standard library only: `bench/run --help` prints them before
anything is installed (bench.py itself needs jwt, psycopg and matplotlib)."""
import argparse
import sys

DESCRIPTION = """bench/run's driver: a database of its own, the service started from the Procfile and a
trivial-DRF reference beside it, wrk scenarios against both, one table, JSON and a PNG.
See README.md, "Benchmark"."""


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/run", description=DESCRIPTION)
    parser.add_argument("--duration", type=float, default=10, help="Seconds per measured run (default 10).")
    parser.add_argument("--warmup", type=float, default=3, help="Seconds of warm-up before each run (default 3).")
    parser.add_argument("--open-seconds", type=float, default=30, help="Length of the paced 100-user run (default 30).")
    parser.add_argument("--repeat", type=int, default=1, help="Runs of the 100-connection block; ratios are medians.")
    parser.add_argument("--quick", action="store_true", help="A ~10-second smoke: few scenarios, short; fails only on errors.")
    parser.add_argument("--only", help="Comma-separated scenarios of the 100-connection block to run (default all but login; "
                             "login, the password hasher's cost, runs only when named, at 4 connections).")
    parser.add_argument("--no-scaling", action="store_true", help="Skip the 10..500-connection series.")
    parser.add_argument("--no-open", action="store_true", help="Skip the paced 100-user scenario.")
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                        help="Extra environment for both servers (e.g. WEB_CONCURRENCY=2), repeatable.")
    parser.add_argument("--label", default="", help="A note stored with the results.")
    parser.add_argument("--against", metavar="GIT_REF", default="",
                        help="A/B in this run: also start GIT_REF's tree (e.g. main) from its Procfile, on a "
                             "database of its own, and run every 100-connection scenario against it right after "
                             "this tree's, each after a reference run of its own.")
    parser.add_argument("--against-web", metavar="COMMAND", default="",
                        help="A/B in this run, as --against does, but of this tree started with COMMAND instead of "
                             "its Procfile's web: line (bind 127.0.0.1:$PORT), e.g. gunicorn's gthread worker.")
    args = parser.parse_args(argv)
    if args.against and args.against_web:
        parser.error("--against and --against-web each start the one other server: give one")
    args.against_label = args.against or "--against-web"
    if args.quick:
        args.duration, args.warmup, args.repeat = 2, 0, 1
        args.no_scaling = args.no_open = True
        args.only = args.only or "get_one,list,mix"
    return args


if __name__ == "__main__":
    parse_args(sys.argv[1:])

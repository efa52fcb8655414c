"""tasks/fuzz/run's driver: the Procfile start on a database of its own, then Schemathesis.

1. a fresh PostgreSQL database `taskflow_fuzz_<pid>`, the Procfile's release: line and
   collectstatic, as a platform's build and release would;
2. the Procfile's web: line in production mode on a free loopback port;
3. an authenticated run as one user (schemathesis.toml fixes `user_id` to its token's
   subject): every check, positive and negative data, every phase including stateful
   links, a budget of examples per operation, the seed printed for replay;
4. an unauthenticated run: every /api/ answer must be the contract's 401 (hooks.py);
5. the counts and the run time; exit 1 on any failure. Everything started is stopped and
   the database dropped.
"""
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import jwt
import psycopg

ROOT = Path(__file__).resolve().parents[2]
PG_URL = os.environ.get("FUZZ_PG_URL", "postgres://postgres@127.0.0.1:5432")
SECRET = "fuzz-better-auth-secret-" + uuid.uuid4().hex  # this run's only, never printed
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "25"))


def procfile(kind: str) -> str:
    for line in (ROOT / "Procfile").read_text().splitlines():
        name, _, command = line.partition(":")
        if name.strip() == kind:
            return command.strip()
    raise SystemExit(f"Procfile has no {kind}: line")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def admin(statement: str) -> None:
    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
        conn.execute(statement)


def platform_env(database_url: str, port: int) -> dict[str, str]:
    return {
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "DATABASE_URL": database_url,
        "ENVIRONMENT": "production",
        "DJANGO_SECRET_KEY": "fuzz-django-secret-" + uuid.uuid4().hex * 2,
        "BETTER_AUTH_SECRET": SECRET,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CORS_ORIGINS": "https://app.example.com",
        "FRONTEND_URL": "https://app.example.com",
        "EMAIL_URL": "smtp://127.0.0.1:9",
        # Sign-in providers configured, at an address that refuses at once: the start routes
        # redirect, the callbacks get as far as the code exchange (400), never a 503.
        **{f"{provider}_{name}": "fuzz" for provider in ["GOOGLE", "GITHUB"] for name in ["CLIENT_ID", "CLIENT_SECRET"]},
        "GOOGLE_TOKEN_URL": "http://127.0.0.1:9/token", "GITHUB_TOKEN_URL": "http://127.0.0.1:9/token",
        "WEB_CONCURRENCY": "2",
        "PORT": str(port),
    }


def wait_ready(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/health", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.2)
    raise SystemExit(f"fuzz: the service did not start:\n{log.read_text(errors='replace')}")


def schemathesis(url: str, seed: int, env: dict[str, str], unauthenticated: bool) -> tuple[int, str]:
    """One schemathesis run, its output passed through; the exit code and the output."""
    command = [
        str(Path(sys.executable).parent / "st"), "run", f"{url}/openapi.json",
        "--checks", "all", "--mode", "all", "--phases", "examples,coverage,fuzzing,stateful",
        "--max-examples", str(MAX_EXAMPLES), "--seed", str(seed),
        # One worker: hypothesis parses lambdas' source with ast in every thread, and CPython
        # 3.11's parser is not thread-safe ("AST constructor recursion depth mismatch").
        "--workers", "1", "--generation-database", "none", "--no-color",
    ]
    if os.environ.get("FUZZ_PATHS"):  # e.g. FUZZ_PATHS='^/auth/' to fuzz one part of the API
        command += ["--include-path-regex", os.environ["FUZZ_PATHS"]]
    if unauthenticated:
        # The checks that assume a request can succeed do not apply: hooks.py's check does.
        command += ["--warnings", "off", "--exclude-checks", "positive_data_acceptance,negative_data_rejection,"
                    "missing_required_header,ignored_auth,use_after_free,ensure_resource_availability"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = []
    for line in process.stdout:  # type: ignore[union-attr]
        sys.stdout.write(line)
        output.append(line)
    return process.wait(), "".join(output)


def counts(output: str) -> dict[str, int]:
    """Operations, test cases and failures, from schemathesis' summary."""
    tested = re.search(r"Tested: (\d+)", output)
    generated = re.search(r"(\d+) generated", output)
    found = re.search(r"found (\d+) unique failures?", output)
    return {
        "operations": int(tested.group(1)) if tested else 0,
        "examples": int(generated.group(1)) if generated else 0,
        "failures": int(found.group(1)) if found else 0,
    }


def main() -> int:
    started = time.monotonic()
    seed = int(os.environ.get("FUZZ_SEED") or random.randrange(2**31))
    print(f"fuzz: seed {seed} (replay: FUZZ_SEED={seed} tasks/fuzz/run), {MAX_EXAMPLES} examples per operation")
    name = f"taskflow_fuzz_{os.getpid()}"
    out = ROOT / "bench" / "out" / f"fuzz-{os.getpid()}"  # ignored by git, like the benchmark's
    out.mkdir(parents=True, exist_ok=True)
    admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin(f'CREATE DATABASE "{name}"')
    port = free_port()
    env = platform_env(f"{PG_URL}/{name}", port)
    process = None
    try:
        for step in [procfile("release"), "python manage.py collectstatic --noinput -v0"]:
            subprocess.run(["bash", "-c", step], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        log = out / "gunicorn.log"
        with log.open("w") as log_file:
            process = subprocess.Popen(["bash", "-c", procfile("web")], cwd=ROOT, env=env, stdout=log_file,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        url = f"http://127.0.0.1:{port}"
        wait_ready(url, process, log)
        sub = "fuzz-user-" + uuid.uuid4().hex[:8]
        token = jwt.encode({"sub": sub, "iat": int(time.time()), "exp": int(time.time()) + 3600}, SECRET,
                           algorithm="HS256")
        st_env = {**os.environ, "SCHEMATHESIS_HOOKS": "tasks.fuzz.hooks", "PYTHONPATH": str(ROOT),
                  "FUZZ_USER_ID": sub}
        results = {}
        for label, unauthenticated in [("authenticated", False), ("unauthenticated", True)]:
            print(f"\n== fuzz: {label} ==", flush=True)
            run_env = {**st_env, "FUZZ_TOKEN": "" if unauthenticated else token,
                       "FUZZ_UNAUTHENTICATED": "1" if unauthenticated else "0"}
            code, output = schemathesis(url, seed, run_env, unauthenticated)
            results[label] = (code, counts(output))
    finally:
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    seconds = time.monotonic() - started
    print()
    for label, (code, numbers) in results.items():
        print(f"fuzz: {label}: {numbers['operations']} operations, {numbers['examples']} examples, "
              f"{numbers['failures']} failures (schemathesis exit {code})")
    print(f"fuzz: seed {seed}, {seconds:.0f} s in all; the service's log: {log.relative_to(ROOT)}")
    return 0 if all(code == 0 for code, _ in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())

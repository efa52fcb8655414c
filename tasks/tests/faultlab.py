"""Servers the fault suite (test_faults_*.py) may break without touching anyone else's:
a PostgreSQL cluster of its own (initdb in a temporary directory), a Redis, PgBouncer in
transaction mode and nginx, each started as a child process, stopped by PID and removed
with its directory. What real clients saw of a fault is counted by faultload.py.

Debian packages are installed when missing (CI runs on a clean machine, as root)."""
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path


from tasks.tests.conftest import free_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def ensure_packages(binaries: dict[str, str]) -> None:
    """apt-get the Debian package of every binary that is not on PATH yet."""
    missing = [package for binary, package in binaries.items() if not shutil.which(binary) and not Path(binary).exists()]
    if missing:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True, env=env, capture_output=True)


def wait_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port} after {timeout} s")


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


def run_as_postgres(*argv: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(["runuser", "-u", "postgres", "--", *argv], check=True, capture_output=True, text=True, **kwargs)


@dataclass
class Postgres:
    """A throw-away cluster: trust auth on 127.0.0.1, fsync off (nothing here is kept)."""

    directory: Path
    port: int = field(default_factory=free_port)

    def start(self) -> "Postgres":
        self.directory.mkdir(parents=True)
        shutil.chown(self.directory, "postgres", "postgres")
        data = self.directory / "data"
        run_as_postgres(str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        run_as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(self.directory / "pg.log"), "-w", "start",
                        "-o", f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off "
                              "-c max_connections=200")
        return self

    @property
    def pid(self) -> int:
        return int((self.directory / "data" / "postmaster.pid").read_text().split()[0])

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def processes(self) -> list[int]:
        return [self.pid, *children_of(self.pid)]

    def freeze(self) -> None:
        for pid in self.processes():
            os.kill(pid, signal.SIGSTOP)

    def thaw(self) -> None:
        for pid in self.processes():
            os.kill(pid, signal.SIGCONT)

    def stop(self) -> None:
        try:
            self.thaw()
            run_as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.directory / "data"), "-m", "immediate", "stop")
        except (OSError, subprocess.CalledProcessError):
            pass
        shutil.rmtree(self.directory, ignore_errors=True)


@dataclass
class Daemon:
    """A foreground server process of ours, in its own process group."""

    argv: list[str]
    port: int
    log: Path
    process: subprocess.Popen | None = None

    def start(self) -> "Daemon":
        with self.log.open("w") as log:
            self.process = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_port(self.port)
        return self

    def freeze(self) -> None:
        os.killpg(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        os.killpg(self.process.pid, signal.SIGCONT)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.thaw()
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def redis_server(tmp: Path) -> Daemon:
    port = free_port()
    return Daemon(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                  port, tmp / "redis.log").start()


def pgbouncer(tmp: Path, pg: Postgres) -> Daemon:
    """PgBouncer in transaction mode, as Neon's pooler runs it, in front of `pg`."""
    port = free_port()
    home = pg.directory / "pgbouncer"  # readable by the postgres user, unlike pytest's tmp
    home.mkdir()
    (home / "users.txt").write_text('"postgres" ""\n')
    (home / "pgbouncer.ini").write_text(f"""[databases]
* = host=127.0.0.1 port={pg.port}
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {home}/users.txt
pool_mode = transaction
default_pool_size = 10
max_client_conn = 500
ignore_startup_parameters = extra_float_digits
""")
    shutil.chown(home, "postgres", "postgres")
    for path in home.iterdir():
        shutil.chown(path, "postgres", "postgres")
    return Daemon(["runuser", "-u", "postgres", "--", "pgbouncer", str(home / "pgbouncer.ini")], port, home / "log").start()


def nginx(tmp: Path, upstreams: list[str]) -> Daemon:
    """Round robin over `upstreams`; a connection that fails is retried on the next one,
    a request that reached an app never is (nginx's default for POST: not idempotent)."""
    port = free_port()
    home = tmp / "nginx"
    home.mkdir()
    servers = "\n".join(f"    server {url.removeprefix('http://')} max_fails=0;" for url in upstreams)
    (home / "nginx.conf").write_text(f"""daemon off;
user root;
worker_processes 1;
pid {home}/nginx.pid;
error_log {home}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {home}/body;
  proxy_temp_path {home}/proxy;
  fastcgi_temp_path {home}/fastcgi;
  uwsgi_temp_path {home}/uwsgi;
  scgi_temp_path {home}/scgi;
  upstream app {{
{servers}
  }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://app;
      proxy_next_upstream error timeout;
      proxy_connect_timeout 2s;
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-Proto https;
    }}
  }}
}}
""")
    return Daemon(["nginx", "-p", str(home), "-c", str(home / "nginx.conf")], port, home / "stdout.log").start()

"""Fixtures: real HS256 tokens, API clients, tasks, and the service started from its Procfile.

Tests that go over HTTP write committed rows into the test database, so every test
scopes its assertions to its own user ids (a fresh `sub` per test), never to the
whole table.
"""
import os
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jwt
import pytest
import requests
from django.conf import settings
from rest_framework.test import APIClient

import launch
from launch import free_port, procfile_command, stop_group  # also imported from here by the tests that start servers
from taskflow import devdb
from tasks.list_bodies import list_bodies
from tasks.models import Task

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_SECRET = "test-better-auth-secret-0123456789abcdef"
FRONTEND_ORIGIN = "https://app.example.com"


def pytest_configure(config: pytest.Config) -> None:
    if not os.environ.get("DATABASE_URL") and not devdb.is_running():
        pytest.exit("No database: run the tests with bin/test (it starts the embedded PostgreSQL), "
                    "or set DATABASE_URL.", returncode=4)


@pytest.fixture(autouse=True)
def no_list_bodies_kept() -> Iterator[None]:
    """Each test starts with no rendered list kept in this process (tasks.list_bodies):
    one test's rolled-back rows must not be another's kept body."""
    list_bodies.clear()
    yield
    list_bodies.clear()


# --- Tokens and in-process clients ----------------------------------------------------------
@pytest.fixture
def make_token() -> Callable[..., str]:
    """An HS256 token as the frontend mints it; any claim or header can be overridden."""

    def make(sub: str | None = "user_a", lifetime: int = 300, secret: str | None = None,
             algorithm: str = "HS256", headers: dict[str, Any] | None = None, **claims: Any) -> str:
        now = int(time.time())
        payload = {"sub": sub, "iat": now, "exp": now + lifetime, **claims}
        payload = {k: v for k, v in payload.items() if v is not None}
        return jwt.encode(payload, secret or settings.BETTER_AUTH_SECRET, algorithm=algorithm, headers=headers)

    return make


@pytest.fixture
def client_for(make_token: Callable[..., str]) -> Callable[[str], APIClient]:
    def make(sub: str) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token(sub)}")
        return client

    return make


@pytest.fixture
def api(client_for: Callable[[str], APIClient]) -> APIClient:
    """Django's test client, authenticated as user_a."""
    return client_for("user_a")


@pytest.fixture
def make_task(db: None) -> Callable[..., Task]:
    def make(user_id: str = "user_a", title: str = "A task", **fields: Any) -> Task:
        return Task.objects.create(user_id=user_id, title=title, **fields)

    return make


@pytest.fixture
def new_sub() -> Callable[[], str]:
    """A fresh Better Auth-like subject (32 alphanumerics), unique to the test."""
    return lambda: uuid.uuid4().hex


def seconds_left_in_window(period: int) -> float:
    """How long the throttle's current fixed window (tasks.throttling) still runs."""
    return period - time.time() % period


def start_of_a_fresh_window(period: int, needed: float = 120.0) -> None:
    """Wait, if need be, until the throttle's window has `needed` seconds left, so a test
    that counts requests never sees the window turn over half-way."""
    if seconds_left_in_window(period) < needed:
        time.sleep(seconds_left_in_window(period) + 0.05)


# --- The service as a platform starts it ------------------------------------------------------


@dataclass
class WebServer:
    """A gunicorn started from the Procfile's web: line; requests go through as if behind
    the platform's https router (X-Forwarded-Proto: https)."""

    url: str
    process: subprocess.Popen
    log: Path
    session: requests.Session = field(default_factory=requests.Session)

    def request(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
        headers = {"X-Forwarded-Proto": "https", **kwargs.pop("headers", {})}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.session.request(method, self.url + path, headers=headers, timeout=30, **kwargs)

    def stop(self) -> None:
        stop_group(self.process, timeout=20)
        self.session.close()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def platform_env(database_url: str, **overrides: str) -> dict[str, str]:
    """Only what a Procfile platform gives the process (launch.platform_env), with the
    tests' secret and frontend origin, two workers."""
    defaults = {"CORS_ORIGINS": FRONTEND_ORIGIN, "FRONTEND_URL": FRONTEND_ORIGIN, "WEB_CONCURRENCY": "2"}
    return launch.platform_env(database_url, PRODUCTION_SECRET, **{**defaults, **overrides})


def web_command() -> str:
    """The Procfile's web: line, or TEST_WEB_COMMAND: the same tests against another server
    (bench/RESULTS.md, 2026-12-04: the slow-client bound on gthread)."""
    return os.environ.get("TEST_WEB_COMMAND") or procfile_command("web")


def start_web(env: dict[str, str], tmp_dir: Path, wait_ready: bool = True) -> WebServer:
    port = free_port()
    env = {**env, "PORT": str(port)}
    log = tmp_dir / f"gunicorn-{port}.log"
    with log.open("w") as log_file:
        process = subprocess.Popen(["bash", "-c", web_command()], cwd=ROOT, env=env,
                                   stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
    server = WebServer(f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + 90  # a loaded 2-core CI machine boots workers slowly
    while wait_ready:
        try:
            if requests.get(server.url + "/health", timeout=1).status_code == 200:
                break
        except requests.RequestException:  # refused, or slower than 1 s on a loaded machine
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"gunicorn did not start:\n{server.log_text()}")
        time.sleep(0.1)
    return server


def database_url(name: str) -> str:
    """DATABASE_URL with another database name: the same server (host and port, or the
    embedded server's socket folder), user, password and query (`sslmode`)."""
    return urlsplit(settings.DATABASE_URL)._replace(path=f"/{name}").geturl()


def admin_sql(statement: str) -> None:
    import psycopg

    with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
        conn.execute(statement)


@pytest.fixture(scope="session")
def service_database_url() -> Iterator[str]:
    """A database of its own for servers started from the Procfile, migrated by the
    Procfile's release: line (pytest-django's test database is for in-process tests)."""
    name = f"{settings.DATABASES['default']['NAME']}_http_{os.getpid()}"
    admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin_sql(f'CREATE DATABASE "{name}"')
    url = database_url(name)
    env = platform_env(url)
    for command in [procfile_command("release"), "python manage.py collectstatic --noinput"]:
        done = subprocess.run(["bash", "-c", command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    yield url
    admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def start_service(service_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., WebServer]]:
    """Start the Procfile's web: line in production mode; stopped at the end of the session."""
    tmp_dir = tmp_path_factory.mktemp("servers")
    started: list[WebServer] = []

    def start(wait_ready: bool = True, **overrides: str) -> WebServer:
        server = start_web(platform_env(service_database_url, **overrides), tmp_dir, wait_ready=wait_ready)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def service(start_service: Callable[..., WebServer]) -> WebServer:
    """The service, started once per session from the Procfile (production settings)."""
    return start_service()


@pytest.fixture
def production_token(new_sub: Callable[[], str]) -> Callable[..., str]:
    """Tokens for `service`: signed with the production secret it was started with."""

    def make(sub: str | None = None, lifetime: int = 300, **claims: Any) -> str:
        now = int(time.time())
        payload = {"sub": sub or new_sub(), "iat": now, "exp": now + lifetime, **claims}
        return jwt.encode(payload, PRODUCTION_SECRET, algorithm="HS256")

    return make


def sub_of(token: str) -> str:
    return jwt.decode(token, options={"verify_signature": False})["sub"]



# --- The fault suite's own servers (test_faults_*.py, marker `faults`) -------------------------
@pytest.fixture(scope="module")
def fault_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("faults")


@pytest.fixture(scope="module")
def fault_pg(fault_dir: Path) -> Iterator[Any]:
    """A PostgreSQL cluster of the fault suite's own, so it can be frozen and stopped."""
    from tasks.tests import faultlab

    faultlab.ensure_packages({"redis-server": "redis-server", "nginx": "nginx-light", "pgbouncer": "pgbouncer"})
    pg = faultlab.Postgres(Path(f"/tmp/taskflow-faults-{os.getpid()}"))
    try:
        pg.start()
        yield pg
    finally:
        pg.stop()


@pytest.fixture(scope="module")
def fault_db_url(fault_pg: Any) -> str:
    """The fault cluster's database, migrated by the Procfile's release: line."""
    import psycopg

    with psycopg.connect(fault_pg.url(), autocommit=True) as conn:
        conn.execute("CREATE DATABASE taskflow_faults")
    url = fault_pg.url("taskflow_faults")
    for command in [procfile_command("release"), "python manage.py collectstatic --noinput"]:
        done = subprocess.run(["bash", "-c", command], cwd=ROOT, env=platform_env(url), capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    return url


@pytest.fixture
def start_app(fault_dir: Path, fault_db_url: str) -> Iterator[Callable[..., WebServer]]:
    """The Procfile's web: line on the fault database; stopped when the test ends."""
    started: list[WebServer] = []

    def start(database_url: str | None = None, **overrides: str) -> WebServer:
        server = start_web(platform_env(database_url or fault_db_url, **overrides), fault_dir)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()

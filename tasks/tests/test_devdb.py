"""The embedded PostgreSQL that bin/dev and bin/test start when DATABASE_URL is unset:
a real server from the wheel, started, used, restarted on its data and stopped."""
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from taskflow import devdb

from .conftest import ROOT

pytestmark = pytest.mark.slow


def settings_database_url(env: dict[str, str]) -> str:
    code = "from django.conf import settings; print(settings.DATABASE_URL)"
    done = subprocess.run([sys.executable, "-c", f"import django; django.setup(); {code}"], cwd=ROOT,
                          env={**env, "DJANGO_SETTINGS_MODULE": "taskflow.settings"}, capture_output=True, text=True,
                          timeout=60, check=True)
    return done.stdout.strip()


def test_unset_database_url_means_the_embedded_server_outside_production() -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "ENVIRONMENT"}}

    assert settings_database_url(env) == devdb.url() == devdb.url(ROOT / ".pgdata")
    assert settings_database_url({**env, "DATABASE_URL": "postgres://u@db.example.com/x"}) == "postgres://u@db.example.com/x"


def test_the_embedded_server_serves_its_url_and_stops(tmp_path: Path) -> None:
    pgdata = tmp_path / "pgdata"
    assert devdb.start(pgdata) is True
    try:
        assert devdb.start(pgdata) is False  # already running: left to whoever started it
        with psycopg.connect(devdb.url(pgdata), autocommit=True) as conn:
            # No TCP listener at all: nothing to collide with a system PostgreSQL on 5432.
            assert conn.execute("SHOW listen_addresses").fetchone() == ("",)
            assert conn.execute("SELECT current_database()").fetchone() == (devdb.DATABASE,)
            conn.execute("CREATE TABLE kept (n int); INSERT INTO kept VALUES (7)")
        postmaster_pid = int((pgdata / "postmaster.pid").read_text().split()[0])
        assert os.stat(f"/proc/{postmaster_pid}").st_uid != 0  # PostgreSQL refuses root; never run as root
    finally:
        devdb.stop(pgdata)

    assert not devdb.is_running(pgdata)
    assert not (pgdata / f".s.PGSQL.{devdb.PORT}").exists()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(devdb.url(pgdata), connect_timeout=2)

    assert devdb.start(pgdata) is True  # the second start reuses the data folder
    try:
        with psycopg.connect(devdb.url(pgdata)) as conn:
            assert conn.execute("SELECT n FROM kept").fetchall() == [(7,)]
    finally:
        devdb.stop(pgdata)

"""Adopting the FastAPI original's database: real PostgreSQL databases, real commands, the
Procfile's server serving the adopted rows."""
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import dj_database_url
import jwt
import psycopg
import pytest
from django.conf import settings

from .conftest import PRODUCTION_SECRET, ROOT, admin_sql, database_url, platform_env, start_web

pytestmark = pytest.mark.slow

FASTAPI_SCHEMA = """
CREATE TABLE IF NOT EXISTS tasks (id SERIAL PRIMARY KEY, user_id VARCHAR(255) NOT NULL, title VARCHAR(200) NOT NULL,
    description TEXT, is_completed BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(), updated_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW());
CREATE INDEX IF NOT EXISTS idx_tasks_user_id ON tasks(user_id);
"""
FASTAPI_ROWS = """
INSERT INTO tasks (user_id, title, description, is_completed, created_at, updated_at) VALUES
    ('user_ada', 'Buy milk', 'Milk, eggs', false, '2026-01-05 10:30:00.123456+00', '2026-01-05 10:30:00.123456+00'),
    ('user_ada', 'Call Bob', NULL, true, '2026-01-06 08:00:00+00', '2026-01-07 09:15:30.5+00'),
    ('user_bob', 'Fix bike', '', false, '2026-01-04 00:00:00+01', '2026-01-04 00:00:00+01'),
    ('user_ada', 'Deleted later', NULL, false, now(), now());
DELETE FROM tasks WHERE title = 'Deleted later';
"""
SERVED_FIELDS = ["id", "user_id", "title", "description", "is_completed", "created_at", "updated_at"]


def manage(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "DATABASE_URL": url})


@pytest.fixture
def make_database() -> Iterator[Callable[[str], str]]:
    """Empty PostgreSQL databases of this test's own, dropped afterwards."""
    base = dj_database_url.parse(settings.DATABASE_URL)["NAME"]
    made: list[str] = []

    def make(purpose: str) -> str:
        name = f"{base}_{purpose}_{os.getpid()}"
        admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin_sql(f'CREATE DATABASE "{name}"')
        made.append(name)
        return database_url(name)

    yield make
    for name in made:
        admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def fastapi_database(make_database: Callable[[str], str]) -> tuple[str, list[dict[str, Any]]]:
    """A database as the FastAPI service left it, with its rows as psycopg reads them."""
    url = make_database("fastapi")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(FASTAPI_SCHEMA)
        conn.execute(FASTAPI_ROWS)
        cursor = conn.cursor(row_factory=psycopg.rows.dict_row)
        rows = cursor.execute(f"SELECT {', '.join(SERVED_FIELDS)} FROM tasks ORDER BY id").fetchall()
    return url, rows


def schema_of(url: str) -> dict[str, Any]:
    """Columns, sequences, indexes (names normalised) and constraints of every table."""
    with psycopg.connect(url) as conn:
        columns = conn.execute(
            "SELECT table_name, ordinal_position, column_name, data_type, character_maximum_length, is_nullable, "
            "column_default, is_identity, identity_generation FROM information_schema.columns "
            "WHERE table_schema = 'public' ORDER BY table_name, ordinal_position"
        ).fetchall()
        sequences = conn.execute("SELECT sequencename, data_type FROM pg_sequences ORDER BY 1").fetchall()
        indexes = conn.execute(
            "SELECT tablename, replace(indexdef, indexname, '<name>') FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1, 2"
        ).fetchall()
        constraints = conn.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE connamespace = 'public'::regnamespace AND contype <> 'f' ORDER BY 1, 2"
        ).fetchall()
        migrations = conn.execute("SELECT app, name FROM django_migrations ORDER BY app, name").fetchall()
    return {"columns": columns, "sequences": sequences, "indexes": indexes, "constraints": constraints,
            "migrations": migrations}



def token_for(user_id: str) -> str:
    return jwt.encode({"sub": user_id, "exp": 2**31}, PRODUCTION_SECRET, algorithm="HS256")


def adopt_twice_beside_a_fresh_migrate(url: str, make_database: Callable[[str], str],
                                       fresh_name: str) -> tuple[subprocess.CompletedProcess, subprocess.CompletedProcess, str]:
    """Run the command twice on `url` (the first adopts, the second finds nothing to do)
    and migrate a fresh database beside it to compare with; both runs' output, and the
    fresh database's URL."""
    first, second = manage(url, "adopt_fastapi_db"), manage(url, "adopt_fastapi_db")
    fresh = make_database(fresh_name)
    assert manage(fresh, "migrate", "--noinput").returncode == 0
    assert first.returncode == 0, first.stderr
    assert "Adopted the FastAPI tasks table as tasks.0001_initial." in first.stdout
    assert second.returncode == 0 and "already applied: nothing to adopt" in second.stdout
    return first, second, fresh


def test_adopted_database_serves_every_row_unchanged_and_matches_a_fresh_migrate(
    fastapi_database, make_database, tmp_path: Path
):
    url, rows = fastapi_database

    first, second, fresh = adopt_twice_beside_a_fresh_migrate(url, make_database, "fresh")

    assert "Applying tasks.0002_owner_directory_and_admin_index... OK" in first.stdout
    assert "No migrations to apply." in second.stdout
    # Defaults compared verbatim: adoption sets statement_timestamp(), which is how
    # Django renders the model's db_default=Now().
    assert schema_of(url) == schema_of(fresh)

    server = start_web(platform_env(url), tmp_path)
    try:
        for user_id in ["user_ada", "user_bob"]:
            token = token_for(user_id)
            served = server.request("GET", f"/api/{user_id}/tasks", token=token).json()
            expected = sorted((r for r in rows if r["user_id"] == user_id), key=lambda r: (r["created_at"], r["id"]), reverse=True)
            assert [parsed(task) for task in served] == expected
            for row in expected:
                one = server.request("GET", f"/api/{user_id}/tasks/{row['id']}", token=token)
                assert parsed(one.json()) == row
        created = server.request("POST", "/api/user_ada/tasks", token=token_for("user_ada"), json={"title": "After adoption"})
    finally:
        server.stop()

    assert created.status_code == 201
    # After the highest old id and after the deleted one: the old sequence's position is kept.
    assert created.json()["id"] == 5 and max(r["id"] for r in rows) == 3


PLANNING_DEFAULTS = {"priority": "medium", "due_date": None, "recurrence_pattern": None, "recurrence_end_date": None,
                     "tags": []}


def parsed(task: dict[str, Any]) -> dict[str, Any]:
    """An API task with its timestamps as datetimes, comparable with a first-generation
    database row; an adopted row shows the phase V fields at their defaults."""
    assert task["created_at"].endswith("Z") and task["updated_at"].endswith("Z")
    assert {key: task.pop(key) for key in PLANNING_DEFAULTS} == PLANNING_DEFAULTS
    return {**task, "created_at": datetime.fromisoformat(task["created_at"]), "updated_at": datetime.fromisoformat(task["updated_at"])}


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        pytest.param("", "there is no 'tasks' table (a new database needs only `manage.py migrate`)", id="no-table"),
        pytest.param("CREATE TABLE tasks (id SERIAL PRIMARY KEY, user_id TEXT NOT NULL, title TEXT NOT NULL, owner INT)",
                     "unexpected column 'owner'", id="other-table"),
        pytest.param(FASTAPI_SCHEMA + "INSERT INTO tasks (user_id, title) VALUES ('user_ada', '')",
                     "1 row(s) have an empty title or user_id", id="row-breaking-a-constraint"),
    ],
)
def test_adoption_refuses_what_is_not_the_fastapi_table_and_changes_nothing(make_database, schema, message):
    url = make_database("notfastapi")
    if schema:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(schema)

    done = manage(url, "adopt_fastapi_db")

    assert done.returncode == 1 and message in done.stderr
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT to_regclass('django_migrations')").fetchone() == (None,)

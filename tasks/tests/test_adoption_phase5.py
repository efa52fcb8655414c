"""Adopting a phase V database of the original: its planning columns, tags and task tags
are served unchanged afterwards, the schema is a fresh migrate's, other tables are left alone."""
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from .conftest import platform_env, start_web
from .test_adoption_fastapi import FASTAPI_ROWS, FASTAPI_SCHEMA, adopt_twice_beside_a_fresh_migrate, make_database, manage, schema_of, token_for  # noqa: F401

pytestmark = pytest.mark.slow

# The original's users table (SQLModel's User), which phase V's foreign keys point at.
USERS = """
CREATE TABLE users (id VARCHAR PRIMARY KEY, email VARCHAR NOT NULL UNIQUE, name VARCHAR NOT NULL,
    password_hash VARCHAR, oauth_provider VARCHAR, oauth_id VARCHAR, created_at TIMESTAMP NOT NULL);
INSERT INTO users (id, email, name, created_at) VALUES ('user_ada', 'ada@example.com', 'Ada', now()),
    ('user_bob', 'bob@example.com', 'Bob', now());
"""
# backend/migrations/phase5_migration.sql, its DDL statement for statement (without the final check).
PHASE5_DDL = """
ALTER TABLE tasks
ADD COLUMN IF NOT EXISTS due_date TIMESTAMP NULL,
ADD COLUMN IF NOT EXISTS priority VARCHAR(10) DEFAULT 'medium' NOT NULL,
ADD COLUMN IF NOT EXISTS recurrence_pattern VARCHAR(20) NULL,
ADD COLUMN IF NOT EXISTS recurrence_end_date TIMESTAMP NULL;
CREATE INDEX IF NOT EXISTS idx_tasks_due_date ON tasks(due_date);
CREATE INDEX IF NOT EXISTS idx_tasks_priority ON tasks(priority);
CREATE INDEX IF NOT EXISTS idx_tasks_user_due ON tasks(user_id, due_date);
CREATE INDEX IF NOT EXISTS idx_tasks_completed ON tasks(is_completed);
CREATE TABLE IF NOT EXISTS reminders (
    id SERIAL PRIMARY KEY,
    task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    user_id VARCHAR(255) NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    remind_at TIMESTAMP NOT NULL, sent BOOLEAN DEFAULT FALSE, sent_at TIMESTAMP NULL, retry_count INTEGER DEFAULT 0,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP);
CREATE INDEX IF NOT EXISTS idx_reminders_task_id ON reminders(task_id);
CREATE INDEX IF NOT EXISTS idx_reminders_user_id ON reminders(user_id);
CREATE INDEX IF NOT EXISTS idx_reminders_remind_at ON reminders(remind_at);
CREATE INDEX IF NOT EXISTS idx_reminders_pending ON reminders(sent, remind_at);
CREATE TABLE IF NOT EXISTS tags (
    id SERIAL PRIMARY KEY,
    user_id VARCHAR(255) NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name VARCHAR(50) NOT NULL, color VARCHAR(7) NULL, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT uq_tags_user_name UNIQUE(user_id, name));
CREATE INDEX IF NOT EXISTS idx_tags_user_id ON tags(user_id);
CREATE TABLE IF NOT EXISTS task_tags (
    id SERIAL PRIMARY KEY,
    task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT uq_task_tags_unique UNIQUE(task_id, tag_id));
CREATE INDEX IF NOT EXISTS idx_task_tags_task_id ON task_tags(task_id);
CREATE INDEX IF NOT EXISTS idx_task_tags_tag_id ON task_tags(tag_id);
CREATE TABLE IF NOT EXISTS processed_events (
    id SERIAL PRIMARY KEY, event_id VARCHAR(36) NOT NULL, event_type VARCHAR(50) NOT NULL,
    service_name VARCHAR(50) NOT NULL, processed_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT uq_processed_events_unique UNIQUE(event_id, service_name));
CREATE INDEX IF NOT EXISTS idx_processed_events_event_id ON processed_events(event_id);
"""
# Ids 1-3 are FASTAPI_ROWS' (4 was deleted); SQLAlchemy's Enum wrote member names ("MONTHLY").
PHASE5_ROWS = """
INSERT INTO tasks (user_id, title, priority, due_date, recurrence_pattern, recurrence_end_date, is_completed,
                   created_at, updated_at) VALUES
    ('user_ada', 'Pay rent', 'high', '2026-12-05 09:30:00', 'MONTHLY', '2027-06-30 00:00:00', false,
     '2026-02-01 10:00:00+00', '2026-02-01 10:00:00+00'),
    ('user_ada', 'Water plants', 'low', '2026-12-01 08:15:30.25', 'daily', NULL, true,
     '2026-02-02 10:00:00+00', '2026-02-03 11:00:00+00');
UPDATE tasks SET priority = 'low', due_date = '2026-01-10 18:00:00' WHERE title = 'Call Bob';
INSERT INTO tags (user_id, name, color, created_at) VALUES ('user_ada', 'home', '#22c55e', '2026-02-01 09:00:00'),
    ('user_ada', 'money', NULL, '2026-02-01 09:00:01'), ('user_bob', 'bike', '#3b82f6', '2026-02-01 09:00:02'),
    ('user_ada', 'gone', NULL, now());
DELETE FROM tags WHERE name = 'gone';
INSERT INTO task_tags (task_id, tag_id) VALUES (5, 2), (5, 1), (1, 1), (3, 3);
INSERT INTO reminders (task_id, user_id, remind_at) VALUES (5, 'user_ada', '2026-12-05 08:30:00');
INSERT INTO processed_events (event_id, event_type, service_name) VALUES ('e1', 'task.completed', 'recurring');
"""
# What the original served for those rows (TaskResponseDTO): naive times as isoformat().
SERVED_PLANNING = {
    1: {"priority": "medium", "due_date": None, "recurrence_pattern": None, "recurrence_end_date": None,
        "tags": [{"id": 1, "name": "home", "color": "#22c55e"}]},
    2: {"priority": "low", "due_date": "2026-01-10T18:00:00", "recurrence_pattern": None,
        "recurrence_end_date": None, "tags": []},
    3: {"priority": "medium", "due_date": None, "recurrence_pattern": None, "recurrence_end_date": None,
        "tags": [{"id": 3, "name": "bike", "color": "#3b82f6"}]},
    5: {"priority": "high", "due_date": "2026-12-05T09:30:00", "recurrence_pattern": "monthly",
        "recurrence_end_date": "2027-06-30T00:00:00",
        "tags": [{"id": 1, "name": "home", "color": "#22c55e"}, {"id": 2, "name": "money", "color": None}]},
    6: {"priority": "low", "due_date": "2026-12-01T08:15:30.250000", "recurrence_pattern": "daily",
        "recurrence_end_date": None, "tags": []},
}
NOT_OURS = ["processed_events", "reminders", "users"]


@pytest.fixture
def phase5_database(make_database: Callable[[str], str]) -> str:
    url = make_database("phase5")
    with psycopg.connect(url, autocommit=True) as conn:
        for sql in [FASTAPI_SCHEMA, FASTAPI_ROWS, USERS, PHASE5_DDL, PHASE5_ROWS]:
            conn.execute(sql)
    return url


def ours(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema without the tables that are not ours, and columns keyed by name: an
    adopted table keeps its columns in the order they were added (and the gaps of the
    ones moved away), which no query of ours depends on."""
    # Sequences are named <table>_<column>_seq (the tables' own, SERIAL ones).
    keep = lambda name: not any(name == table or name.startswith(f"{table}_") for table in NOT_OURS)  # noqa: E731
    columns = {(row[0], row[2]): row[3:] for row in schema["columns"] if keep(row[0])}
    return {**{key: [row for row in rows if keep(row[0])] for key, rows in schema.items() if key != "columns"},
            "columns": columns}


def test_phase5_database_is_adopted_with_every_row_served_unchanged(phase5_database, make_database, tmp_path: Path):
    url = phase5_database

    first, second, fresh = adopt_twice_beside_a_fresh_migrate(url, make_database, "fresh5")

    assert "Moved the phase V priorities, due dates, recurrences, tags and task tags into place." in first.stdout
    assert "Left alone (not this service's tables): processed_events, reminders, users." in first.stdout
    assert "No migrations to apply." in second.stdout and "Moved the phase V" not in second.stdout
    assert ours(schema_of(url)) == ours(schema_of(fresh))
    with psycopg.connect(url) as conn:
        # Left alone: their rows, and their foreign keys to tasks and users.
        assert conn.execute("SELECT task_id, user_id FROM reminders").fetchall() == [(5, "user_ada")]
        assert conn.execute("SELECT count(*) FROM processed_events").fetchone() == (1,)
        assert conn.execute("SELECT to_regnamespace('taskflow_adoption')").fetchone() == (None,)
        # The completed recurring task's successor was the original's business.
        assert conn.execute("SELECT id, next_occurrence_id FROM tasks WHERE recurrence_pattern IS NOT NULL "
                            "ORDER BY id").fetchall() == [(5, None), (6, 0)]
        # Floating times are stored as if UTC, with their kind (tasks.models.MomentKind).
        conn.execute("SET TIME ZONE 'UTC'")
        stored = conn.execute("SELECT id, priority, due_date::text, due_date_kind, recurrence_pattern, "
                              "recurrence_end_date::text, recurrence_end_date_kind FROM tasks ORDER BY id").fetchall()
        assert stored == [
            (1, "medium", None, None, None, None, None), (2, "low", "2026-01-10 18:00:00+00", "floating", None, None, None),
            (3, "medium", None, None, None, None, None),
            (5, "high", "2026-12-05 09:30:00+00", "floating", "monthly", "2027-06-30 00:00:00+00", "floating"),
            (6, "low", "2026-12-01 08:15:30.25+00", "floating", "daily", None, None)]
        assert conn.execute("SELECT id, user_id, task_id, tag_id FROM task_tags ORDER BY id").fetchall() == [
            (1, "user_ada", 5, 2), (2, "user_ada", 5, 1), (3, "user_ada", 1, 1), (4, "user_bob", 3, 3)]

    server = start_web(platform_env(url), tmp_path)
    try:
        served = {}
        for user_id in ["user_ada", "user_bob"]:
            for task in server.request("GET", f"/api/{user_id}/tasks", token=token_for(user_id)).json():
                served[task["id"]] = {key: task.get(key) for key in SERVED_PLANNING[1]}
        tags = server.request("GET", "/api/user_ada/tags", token=token_for("user_ada"))
        new_tag = server.request("POST", "/api/user_ada/tags", token=token_for("user_ada"), json={"name": "new"})
    finally:
        server.stop()

    assert served == SERVED_PLANNING
    assert [(t["id"], t["name"], t["created_at"]) for t in tags.json()["tags"]] == [
        (1, "home", "2026-02-01T09:00:00Z"), (2, "money", "2026-02-01T09:00:01Z")]
    assert new_tag.status_code == 201 and new_tag.json()["id"] == 5  # after the deleted tag 4


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param("UPDATE tasks SET priority = 'urgent' WHERE id = 1", "1 tasks with a priority other than low/medium/high",
                     id="bad-priority"),
        pytest.param("UPDATE tags SET color = 'red' WHERE id = 1", "1 tags with a color that is not #RRGGBB", id="bad-color"),
        pytest.param("INSERT INTO task_tags (task_id, tag_id) VALUES (1, 3)",
                     "1 task-tag links between different users' task and tag", id="foreign-link"),
        pytest.param("ALTER TABLE tags DROP COLUMN color", "table 'tags' has columns", id="other-tags-table"),
    ],
)
def test_phase5_adoption_refuses_rows_our_schema_forbids_and_changes_nothing(phase5_database, change, message):
    with psycopg.connect(phase5_database, autocommit=True) as conn:
        conn.execute(change)

    done = manage(phase5_database, "adopt_fastapi_db")

    assert done.returncode == 1 and message in done.stderr
    with psycopg.connect(phase5_database) as conn:
        assert conn.execute("SELECT to_regclass('django_migrations'), to_regnamespace('taskflow_adoption')").fetchone() == (None, None)
        assert conn.execute("SELECT data_type FROM information_schema.columns WHERE table_name = 'tasks' "
                            "AND column_name = 'due_date'").fetchone() == ("timestamp without time zone",)

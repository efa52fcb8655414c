"""Adopting a *phase V* database of the original (tasks.adoption.fastapi does the first generation).

Phase V added four columns to `tasks` (phase5_migration.sql: priority varchar(10),
due_date and recurrence_end_date `timestamp` without time zone, recurrence_pattern
varchar(20)) and the tables `tags` and `task_tags`, with foreign keys to a `users` table
and beside `reminders` and `processed_events`, which this service does not own.

Rather than reshaping those in place, adoption moves the phase V data aside into the
schema `taskflow_adoption` (`stash`, in the same locked transaction as tasks.adoption.fastapi's
conversion), so that `migrate` then builds every column, table, index and constraint
exactly as on a fresh database; `restore` moves the data back into them and drops the
stash. The command calls `restore` after every `migrate`, so an interrupted run finishes
on the next one.
"""
from django.db import connection
from django.db.backends.utils import CursorWrapper
from django.db.migrations.recorder import MigrationRecorder

from ..models import Tag, Task, TaskTag
from ..sql import cursor, execute_all, execute_one, table

STASH = "taskflow_adoption"
PHASE5_TASK_COLUMNS = {
    "priority": ({"character varying"}, 10, "NO"),
    "due_date": ({"timestamp without time zone"}, None, "YES"),
    "recurrence_pattern": ({"character varying"}, 20, "YES"),
    "recurrence_end_date": ({"timestamp without time zone"}, None, "YES"),
}
# The original's tables of these names, which our models' take over.
PHASE5_TABLES = {
    Tag: {"id", "user_id", "name", "color", "created_at"},
    TaskTag: {"id", "task_id", "tag_id", "created_at"},
}
# phase5_migration.sql's indexes on tasks; those on its new columns go with the columns.
PHASE5_TASK_INDEXES = ["idx_tasks_due_date", "idx_tasks_priority", "idx_tasks_user_due", "idx_tasks_completed"]
# SQLAlchemy's Enum column stores a member's *name* ("DAILY"), the API its value ("daily").
PATTERN = "lower(recurrence_pattern)"


def bad_rows_sql() -> list[tuple[str, str]]:
    """How the original's rows break this service's constraints: (what, SQL counting them)."""
    tasks, tags, links = table(Task), table(Tag), table(TaskTag)
    return [
        ("tasks with a priority other than low/medium/high",
         f"SELECT count(*) FROM {tasks} WHERE priority NOT IN ('low', 'medium', 'high')"),
        ("tasks with an unknown recurrence_pattern",
         f"SELECT count(*) FROM {tasks} WHERE {PATTERN} NOT IN ('daily', 'weekly', 'monthly')"),
        ("tags with an empty name or user_id", f"SELECT count(*) FROM {tags} WHERE name = '' OR user_id = ''"),
        ("tags with a color that is not #RRGGBB", f"SELECT count(*) FROM {tags} WHERE color !~ '^#[0-9A-Fa-f]{{6}}$'"),
        ("task-tag links between different users' task and tag",
         f"SELECT count(*) FROM {links} l JOIN {tasks} t ON t.id = l.task_id JOIN {tags} g ON g.id = l.tag_id "
         "WHERE t.user_id <> g.user_id"),
    ]


def columns(table_name: str) -> dict[str, tuple]:
    rows = execute_all(
        "SELECT column_name, data_type, character_maximum_length, is_nullable FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = %s", [table_name])
    return {name: (kind, length, nullable) for name, kind, length, nullable in rows}


def is_phase5(task_columns: dict[str, tuple]) -> bool:
    """Does `tasks` carry phase V's columns (any of them: a partial one is refused)?"""
    return bool(task_columns.keys() & PHASE5_TASK_COLUMNS.keys())


def shape_problems(task_columns: dict[str, tuple]) -> list[str]:
    """Why this is not the phase V schema (empty when it is)."""
    problems = []
    for name, (kinds, length, nullable) in PHASE5_TASK_COLUMNS.items():
        found = task_columns.get(name)
        if found is None:
            problems.append(f"missing phase V column {name!r}")
        elif found[0] not in kinds or found[1] != length or found[2] != nullable:
            problems.append(f"column {name!r} is {found}, expected {(sorted(kinds), length, nullable)}")
    for model, expected in PHASE5_TABLES.items():
        found = set(columns(model._meta.db_table))
        if found != expected:
            problems.append(f"table {model._meta.db_table!r} has columns {sorted(found)}, expected {sorted(expected)}")
    return problems


def bad_rows() -> list[str]:
    counted = [(what, execute_one(sql)[0]) for what, sql in bad_rows_sql()]  # type: ignore[index]
    return [f"{count} {what}" for what, count in counted if count]


def stash() -> None:
    """Move phase V's columns and tables into the stash schema; `tasks` is then the
    first-generation table that tasks.adoption.fastapi converts. The caller holds the lock."""
    with cursor() as stashing:
        stashing.execute(f"CREATE SCHEMA {STASH}")
        stashing.execute(f"CREATE TABLE {STASH}.task_planning AS SELECT id, priority, due_date, "
                         f"{PATTERN} AS recurrence_pattern, recurrence_end_date FROM {table(Task)}")
        for model in PHASE5_TABLES:
            # Moves with its rows, sequence, indexes and constraints; the foreign keys to
            # users and tasks keep working across schemas until restore() drops them.
            stashing.execute(f"ALTER TABLE {table(model)} SET SCHEMA {STASH}")
        for index in PHASE5_TASK_INDEXES:
            stashing.execute(f"DROP INDEX IF EXISTS {index}")
        stashing.execute(f"ALTER TABLE {table(Task)} " + ", ".join(f"DROP COLUMN {name}" for name in PHASE5_TASK_COLUMNS))


def is_stashed() -> bool:
    return execute_one("SELECT 1 FROM pg_namespace WHERE nspname = %s", [STASH]) is not None


def restore() -> None:
    """Move the stashed phase V data into the migrated schema, then drop the stash.

    Times without time zone were the user's wall clock (what datetime-local sends), so
    they become floating times, stored as if UTC (tasks.models.MomentKind). A tag's
    created_at was the database's CURRENT_TIMESTAMP on a UTC server (Neon's), so it is
    read as UTC. Ids are kept, and every identity continues after the highest id and
    after the old sequence's position. The caller holds a transaction.
    """
    tasks, tags, links = table(Task), table(Tag), table(TaskTag)
    with cursor() as restoring:
        restoring.execute(f"LOCK TABLE {tasks}, {tags}, {links} IN ACCESS EXCLUSIVE MODE")
        restoring.execute(
            f"UPDATE {tasks} t SET priority = s.priority, recurrence_pattern = s.recurrence_pattern, "
            "due_date = s.due_date AT TIME ZONE 'UTC', due_date_kind = CASE WHEN s.due_date IS NOT NULL THEN 'floating' END, "
            "recurrence_end_date = s.recurrence_end_date AT TIME ZONE 'UTC', "
            "recurrence_end_date_kind = CASE WHEN s.recurrence_end_date IS NOT NULL THEN 'floating' END, "
            # The original's recurring-task service already answered these completions:
            # completing them again here must not create a second successor.
            "next_occurrence_id = CASE WHEN t.is_completed AND s.recurrence_pattern IS NOT NULL THEN 0 END "
            f"FROM {STASH}.task_planning s WHERE t.id = s.id "
            "AND (s.priority, s.due_date, s.recurrence_pattern, s.recurrence_end_date) "
            "IS DISTINCT FROM ('medium', NULL, NULL, NULL)")
        restoring.execute(f"INSERT INTO {tags} (id, user_id, name, color, created_at) "
                          f"SELECT id, user_id, name, color, coalesce(created_at AT TIME ZONE 'UTC', statement_timestamp()) "
                          f"FROM {STASH}.{tags}")
        restoring.execute(f"INSERT INTO {links} (id, user_id, task_id, tag_id, created_at) "
                          f"SELECT l.id, t.user_id, l.task_id, l.tag_id, coalesce(l.created_at AT TIME ZONE 'UTC', "
                          f"statement_timestamp()) FROM {STASH}.{links} l JOIN {tasks} t ON t.id = l.task_id")
        for model in PHASE5_TABLES:
            old_sequence = execute_one("SELECT pg_get_serial_sequence(%s, 'id')", [f"{STASH}.{table(model)}"])[0]  # type: ignore[index]
            next_id = next_free_id(restoring, old_sequence, table(model))
            restoring.execute(f"ALTER TABLE {table(model)} ALTER COLUMN id RESTART WITH {next_id}")
        restoring.execute(f"DROP SCHEMA {STASH} CASCADE")


def next_free_id(db: CursorWrapper, sequence: str | None, table_sql: str) -> int:
    """The first id an identity may hand out after both the table's highest id and the
    old sequence's position (its last value, when it was ever called): no id twice."""
    last = 0
    if sequence:
        db.execute(f"SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM {sequence}")
        (last,) = db.fetchone()
    db.execute(f"SELECT coalesce(max(id), 0) FROM {table_sql}")
    return int(max(last, db.fetchone()[0]) + 1)


def tables_not_ours() -> list[str]:
    """Tables in the schema that no model of this project owns (left alone)."""
    introspection = connection.introspection
    with cursor() as reading:
        names = introspection.table_names(reading)
    recorder = MigrationRecorder.Migration._meta.db_table
    return sorted(set(names) - set(introspection.django_table_names(include_views=False)) - {recorder})

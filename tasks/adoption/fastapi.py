"""Adopting the `tasks` table the FastAPI original created, so Django's migrations own it
(a phase V database's additions: tasks.adoption.phase5).

The FastAPI service ran `CREATE TABLE IF NOT EXISTS tasks (id SERIAL PRIMARY KEY, ...)`
and `CREATE INDEX idx_tasks_user_id`. Adoption converts that table, in one locked
transaction, into exactly what migration 0001 creates, then records 0001 as applied;
`migrate` does the rest. README.md, "Adopting the FastAPI database", is the runbook.
"""
from django.db import connection
from django.db.backends.utils import CursorWrapper
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from ..models import Tag, Task, TaskTag
from ..sql import cursor, execute, execute_one, table
from . import phase5

INITIAL = ("tasks", "0001_initial")
# FastAPI's table has the name migration 0001 gives Task's: adoption is a rename-free
# conversion, so the model's db_table is the one name SQL uses.
TABLE = Task._meta.db_table
# column -> (accepted types, max length, nullable), as FastAPI created them; id may
# already be bigint (a half-adopted or hand-fixed table).
FASTAPI_COLUMNS = {
    "id": ({"integer", "bigint"}, None, "NO"),
    "user_id": ({"character varying"}, 255, "NO"),
    "title": ({"character varying"}, 200, "NO"),
    "description": ({"text"}, None, "YES"),
    "is_completed": ({"boolean"}, None, "NO"),
    "created_at": ({"timestamp with time zone"}, None, "NO"),
    "updated_at": ({"timestamp with time zone"}, None, "NO"),
}
# Covered by tasks_user_newest (user_id, -created_at, -id), whose leading column it is.
FASTAPI_INDEX = "idx_tasks_user_id"


class AdoptionRefused(Exception):
    """The database is not one this command knows how to adopt; nothing was changed."""


def is_adopted() -> bool:
    recorder = MigrationRecorder(connection)
    return recorder.has_table() and INITIAL in recorder.applied_migrations()


def shape_problems() -> list[str]:
    """Why the `tasks` table is not the FastAPI one, first generation or phase V (empty when it is)."""
    found = phase5.columns(TABLE)
    if not found:
        return [f"there is no {TABLE!r} table (a new database needs only `manage.py migrate`)"]
    is_phase5 = phase5.is_phase5(found)
    expected = FASTAPI_COLUMNS.keys() | (phase5.PHASE5_TASK_COLUMNS.keys() if is_phase5 else set())
    problems = [f"unexpected column {name!r}" for name in found.keys() - expected]
    if is_phase5:
        problems += phase5.shape_problems(found)
    for name, (kinds, length, nullable) in FASTAPI_COLUMNS.items():
        if name not in found:
            problems.append(f"missing column {name!r}")
        elif found[name][0] not in kinds or found[name][1] != length or found[name][2] != nullable:
            problems.append(f"column {name!r} is {found[name]}, expected {(sorted(kinds), length, nullable)}")
    return problems


def rows_breaking_constraints() -> int:
    return execute_one(f"SELECT count(*) FROM {table(Task)} WHERE title = '' OR user_id = ''")[0]  # type: ignore[index]


def adopt() -> None:
    """Check, then turn the FastAPI table into migration 0001's and record 0001.

    The caller holds a transaction: the lock makes writers (a FastAPI still running)
    wait, so no row slips in between the checks and the conversion.
    """
    problems = shape_problems()
    if problems:
        raise AdoptionRefused("Not the FastAPI tasks table, nothing changed: " + "; ".join(problems) + ".")
    is_phase5 = phase5.is_phase5(phase5.columns(TABLE))
    also = f", {table(Tag)}, {table(TaskTag)}" if is_phase5 else ""
    execute(f"LOCK TABLE {table(Task)}{also} IN ACCESS EXCLUSIVE MODE")
    broken = rows_breaking_constraints()
    if broken:
        raise AdoptionRefused(
            f"{broken} row(s) have an empty title or user_id, which the schema forbids; fix them first. Nothing changed."
        )
    if is_phase5:
        bad = phase5.bad_rows()
        if bad:
            raise AdoptionRefused(f"{'; '.join(bad)}: the schema forbids them; fix them first. Nothing changed.")
        phase5.stash()
    _convert_to_initial_schema()


def _convert_to_initial_schema() -> None:
    with cursor() as converting:
        _serial_to_bigint_identity(converting)
        # Django renders db_default=Now() as statement_timestamp(); FastAPI had now().
        converting.execute(
            f"ALTER TABLE {table(Task)} ALTER COLUMN created_at SET DEFAULT statement_timestamp(), "
            "ALTER COLUMN updated_at SET DEFAULT statement_timestamp(), ALTER COLUMN is_completed SET DEFAULT false"
        )
        converting.execute(f"DROP INDEX IF EXISTS {FASTAPI_INDEX}")
        converting.execute("SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass", [table(Task)])
        constraints = {name for (name,) in converting.fetchall()}
        converting.execute("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s", [TABLE])
        indexes = {name for (name,) in converting.fetchall()}
    # 0001's own index and constraint definitions, rendered by Django as migrate would.
    model = MigrationLoader(connection).project_state(INITIAL).apps.get_model("tasks", "Task")
    with connection.schema_editor() as editor:
        for index in model._meta.indexes:
            if index.name not in indexes:
                editor.add_index(model, index)
        for constraint in model._meta.constraints:
            if constraint.name not in constraints:
                editor.add_constraint(model, constraint)
    recorder = MigrationRecorder(connection)
    recorder.ensure_schema()
    recorder.record_applied(*INITIAL)


def _serial_to_bigint_identity(db: CursorWrapper) -> None:
    # Fresh migrations make id `bigint GENERATED BY DEFAULT AS IDENTITY`. A SERIAL's
    # sequence stays integer even when the column becomes bigint, so the old sequence
    # is replaced by an identity (bigint by construction) that continues after both
    # the highest id and the old sequence's position: no id is ever handed out twice.
    tasks = table(Task)
    db.execute("SELECT is_identity FROM information_schema.columns WHERE table_name = %s AND column_name = 'id' "
               "AND table_schema = current_schema()", [TABLE])
    if db.fetchone()[0] == "YES":
        db.execute(f"ALTER TABLE {tasks} ALTER COLUMN id TYPE bigint")
        return
    db.execute("SELECT pg_get_serial_sequence(%s, 'id')", [tasks])
    (sequence,) = db.fetchone()
    next_id = phase5.next_free_id(db, sequence, tasks)
    db.execute(f"ALTER TABLE {tasks} ALTER COLUMN id DROP DEFAULT, ALTER COLUMN id TYPE bigint")
    if sequence:
        db.execute(f"DROP SEQUENCE {sequence}")
    db.execute(f"ALTER TABLE {tasks} ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (START WITH {next_id})")

"""Operators' manage.py commands, through call_command and as real subprocesses."""
import io
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import jwt
import orjson
import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError

from tasks.models import Owner, Tag, Task, TaskTag

from .conftest import ROOT, database_url

pytestmark = pytest.mark.django_db


class Terminal(io.StringIO):
    """Standard input as if an operator sat at a terminal."""

    def isatty(self) -> bool:
        return True


def run(*args: str, **options: object) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def manage(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """`python manage.py ...` as an operator runs it, against the test database."""
    env = {**os.environ, "DATABASE_URL": test_database_url()}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, input=stdin,
                          capture_output=True, text=True, timeout=60)


def test_database_url() -> str:
    from django.db import connection

    return database_url(connection.settings_dict["NAME"])


test_database_url.__test__ = False  # a helper, not a test


@pytest.fixture
def ada(make_task: Callable[..., Task]) -> list[Task]:
    Owner.objects.create(sub="sub_ada", email="ada@example.com", name="Ada")
    return [make_task(user_id="sub_ada", title=f"Task {n}") for n in range(3)] + [make_task(user_id="sub_bob")]


# --- createsupportuser ---------------------------------------------------------------------------
def test_createsupportuser_makes_a_staff_member_of_support_from_stdin():
    out = run("createsupportuser", "agent@example.com", "--password-stdin", stdin=io.StringIO("a-long-passphrase-42\n"))

    assert out == "Created support user agent@example.com (staff, group Support).\n"
    user = User.objects.get(username="agent@example.com")
    assert user.is_staff and not user.is_superuser and user.email == "agent@example.com"
    assert [g.name for g in user.groups.all()] == ["Support"]
    assert user.check_password("a-long-passphrase-42")


def test_createsupportuser_prompts_twice_on_a_terminal(monkeypatch):
    answers = iter(["a-long-passphrase-42", "a-long-passphrase-42"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))

    run("createsupportuser", "agent@example.com", stdin=Terminal())

    assert User.objects.get(username="agent@example.com").check_password("a-long-passphrase-42")


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        pytest.param(["not-an-email", "--password-stdin"], "a-long-passphrase-42", "is not an email address", id="bad-email"),
        pytest.param(["agent@example.com", "--password-stdin"], "short", "Password refused: This password is too short", id="weak"),
        pytest.param(["agent@example.com", "--password-stdin"], "\n", "The password is empty", id="empty"),
        pytest.param(["agent@example.com"], "", "No terminal to prompt on", id="no-terminal"),
    ],
)
def test_createsupportuser_refuses_bad_input_and_creates_nobody(args, stdin, message):
    with pytest.raises(CommandError, match=message):
        run("createsupportuser", *args, stdin=io.StringIO(stdin))

    assert not User.objects.exists()


def test_createsupportuser_refuses_an_existing_user():
    User.objects.create_user("agent@example.com")

    with pytest.raises(CommandError, match="already exists"):
        run("createsupportuser", "Agent@Example.com", "--password-stdin", stdin=io.StringIO("a-long-passphrase-42"))


# --- export_user ---------------------------------------------------------------------------------
def test_export_user_prints_owner_and_tasks_as_the_api_serves_them(ada, api, client_for):
    out = run("export_user", "sub_ada")

    document = orjson.loads(out)
    served = client_for("sub_ada").get("/api/sub_ada/tasks").json()
    assert document["tasks"] == served and [t["title"] for t in served] == ["Task 2", "Task 1", "Task 0"]
    assert {k: document["owner"][k] for k in ("sub", "email", "name")} == {"sub": "sub_ada", "email": "ada@example.com", "name": "Ada"}
    assert document["owner"]["first_seen"].endswith("Z")


def test_export_user_includes_the_users_tags_by_name_and_no_one_elses(ada):
    home = Tag.objects.create(user_id="sub_ada", name="home")
    Tag.objects.create(user_id="sub_ada", name="Bills", color="#ef4444")
    Tag.objects.create(user_id="sub_bob", name="bike")
    TaskTag.objects.create(user_id="sub_ada", task=ada[1], tag=home)

    document = orjson.loads(run("export_user", "sub_ada"))

    assert [(t["name"], t["color"]) for t in document["tags"]] == [("Bills", "#ef4444"), ("home", None)]
    assert document["tags"][1]["id"] == home.pk and document["tags"][1]["created_at"].endswith("Z")
    assert set(document["tags"][0]) == {"id", "name", "color", "created_at"}


def test_export_user_with_only_tags_exports_them():
    Tag.objects.create(user_id="sub_tags_only", name="home")

    document = orjson.loads(run("export_user", "sub_tags_only"))

    assert (document["owner"], document["tasks"], [t["name"] for t in document["tags"]]) == (None, [], ["home"])


def test_export_user_without_owner_row_still_exports_tasks(ada):
    document = orjson.loads(run("export_user", "sub_bob"))

    assert document["owner"] is None and [t["user_id"] for t in document["tasks"]] == ["sub_bob"]


def test_export_user_unknown_sub_fails_as_a_subprocess():
    done = manage("export_user", "sub_nobody")

    assert done.returncode == 1
    assert "Nothing is stored for 'sub_nobody'" in done.stderr and done.stdout == ""


# --- purge_user ----------------------------------------------------------------------------------
def test_purge_user_with_yes_deletes_tasks_and_owner_only_of_that_user(ada):
    out = run("purge_user", "sub_ada", "--yes")

    assert out == "Deleted 3 task(s) and 1 owner row(s) of sub_ada.\n"
    assert not Task.objects.filter(user_id="sub_ada").exists() and not Owner.objects.filter(sub="sub_ada").exists()
    assert Task.objects.filter(user_id="sub_bob").count() == 1


def test_purge_user_asks_on_a_terminal_and_deletes_when_the_sub_is_typed(ada):
    out = run("purge_user", "sub_ada", stdin=Terminal("sub_ada\n"))

    assert "This deletes 3 task(s) and the owner row of sub_ada." in out
    assert not Task.objects.filter(user_id="sub_ada").exists()


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        pytest.param(Terminal("no\n"), "Not confirmed; nothing was deleted", id="not-confirmed"),
        pytest.param(io.StringIO("sub_ada\n"), "stdin is not a terminal, pass --yes", id="not-a-terminal"),
    ],
)
def test_purge_user_without_confirmation_deletes_nothing(ada, stdin, message):
    with pytest.raises(CommandError, match=message):
        run("purge_user", "sub_ada", stdin=stdin)

    assert Task.objects.filter(user_id="sub_ada").count() == 3 and Owner.objects.filter(sub="sub_ada").exists()


@pytest.fixture
def committed_sub(new_sub: Callable[[], str]) -> Iterator[str]:
    """A user whose rows are committed (a subprocess cannot see the test's transaction)."""
    import psycopg

    sub = new_sub()
    with psycopg.connect(test_database_url(), autocommit=True) as conn:
        conn.execute("INSERT INTO tasks (user_id, title) VALUES (%s, 'Committed')", [sub])
    yield sub
    with psycopg.connect(test_database_url(), autocommit=True) as conn:
        conn.execute("DELETE FROM tasks WHERE user_id = %s", [sub])


def test_purge_user_refuses_from_a_pipe_then_deletes_with_yes_as_a_subprocess(committed_sub):
    refused = manage("purge_user", committed_sub, stdin=committed_sub + "\n")
    assert refused.returncode == 1 and "pass --yes" in refused.stderr
    assert "Committed" in manage("export_user", committed_sub).stdout

    done = manage("purge_user", committed_sub, "--yes")

    assert done.returncode == 0 and done.stdout == f"Deleted 1 task(s) and 0 owner row(s) of {committed_sub}.\n"
    assert manage("export_user", committed_sub).returncode == 1


def test_purge_user_unknown_sub_is_an_error():
    with pytest.raises(CommandError, match="Nothing is stored for 'sub_nobody'"):
        run("purge_user", "sub_nobody", "--yes")


# --- verify_token --------------------------------------------------------------------------------
def test_verify_token_accepts_a_good_token_and_prints_its_claims(make_token):
    out = run("verify_token", "Bearer " + make_token("sub_ada", email="ada@example.com"))

    assert 'header: {"alg":"HS256","typ":"JWT"}' in out and '"email":"ada@example.com"' in out
    assert "Accepted: requests as user 'sub_ada' are authenticated." in out
    assert settings.BETTER_AUTH_SECRET not in out


def forged(**claims: object) -> str:
    return jwt.encode({"sub": "sub_ada", "exp": int(time.time()) + 300, **claims}, "another-secret-" * 3, algorithm="HS256")


@pytest.mark.parametrize(
    ("token", "verdict", "why"),
    [
        pytest.param(lambda mk: mk("sub_ada", lifetime=-60), '"Token expired"', "Signature has expired", id="expired"),
        pytest.param(lambda mk: forged(), '"Invalid token"', "Signature verification failed", id="wrong-secret"),
        pytest.param(lambda mk: mk(None), '"Invalid token"', "Token has no usable subject", id="no-sub"),
        pytest.param(lambda mk: mk("sub_ada", headers={"jku": "https://evil.example"}), '"Invalid token"', "Token names its own key", id="jku"),
        pytest.param(lambda mk: "not.a.jwt", '"Invalid token"', "Malformed token", id="garbage"),
    ],
)
def test_verify_token_refuses_with_the_api_verdict_and_the_reason(make_token, token, verdict, why):
    out = io.StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("verify_token", token(make_token), stdout=out)

    assert f"Refused: the API answers 401 {verdict}" in str(refused.value) and why in str(refused.value)
    assert out.getvalue().startswith("header: ") and settings.BETTER_AUTH_SECRET not in out.getvalue() + str(refused.value)


def test_verify_token_with_a_damaged_last_signature_character_shows_header_and_claims(make_token):
    token = make_token("sub_ada", email="ada@example.com")
    damaged = token[:-1] + ("B" if token[-1] != "B" else "C")  # non-canonical base64url: PyJWT's "Invalid crypto padding"
    out = io.StringIO()

    with pytest.raises(CommandError) as refused:
        call_command("verify_token", damaged, stdout=out)

    assert 'header: {"alg":"HS256","typ":"JWT"}' in out.getvalue() and '"email":"ada@example.com"' in out.getvalue()
    assert "(unreadable)" not in out.getvalue()
    assert 'Refused: the API answers 401 "Invalid token"' in str(refused.value)
    assert "Signature invalid" in str(refused.value)


def test_verify_token_exits_non_zero_as_a_subprocess(make_token):
    refused = manage("verify_token", make_token("sub_ada", lifetime=-60))
    accepted = manage("verify_token", make_token("sub_ada"))

    assert refused.returncode == 1 and 'Refused: the API answers 401 "Token expired"' in refused.stderr
    assert accepted.returncode == 0 and "Accepted" in accepted.stdout


@pytest.mark.parametrize("command", ["createsupportuser", "export_user", "purge_user", "verify_token", "mint_token"])
def test_every_command_explains_itself(command):
    done = manage(command, "--help")

    assert done.returncode == 0
    assert "usage: manage.py " + command in done.stdout and len(done.stdout) > 300


def test_shell_auto_imports_the_models_for_the_readme_snippet(committed_sub):
    snippet = (f"print(list(Task.objects.filter(user_id__in=Owner.objects.filter(sub='{committed_sub}').values('sub'))"
               f".newest_first().values_list('title', flat=True)), Task.objects.for_user('{committed_sub}').count())")

    done = manage("shell", "-c", snippet)

    assert done.returncode == 0, done.stderr
    assert done.stdout.endswith("\n[] 1\n") and "objects imported automatically" in done.stdout


# --- every command, the database unreachable -------------------------------------------------------
def manage_with(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, input="", capture_output=True,
                          text=True, timeout=60)


@pytest.mark.parametrize(
    "args",
    [("export_user", "sub_ada"), ("purge_user", "sub_ada", "--yes"), ("createsupportuser", "ada@example.com",
     "--password-stdin"), ("seed_demo", "--users", "1", "--tasks", "1"), ("adopt_fastapi_db",)],
    ids=lambda args: args[0],
)
def test_every_command_with_the_database_unreachable_fails_in_one_line(args: tuple[str, ...]) -> None:
    from .conftest import free_port

    done = manage_with(f"postgres://postgres@127.0.0.1:{free_port()}/nowhere", *args)

    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("CommandError: Database unavailable (")
    assert lines[0].endswith("; check DATABASE_URL")


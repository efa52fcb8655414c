"""Production refuses to start with a one-line reason when a setting is missing or unsafe."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT, platform_env, procfile_command

SAFE = platform_env("postgres://postgres@127.0.0.1:5432/unused")


def start_django(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)


@pytest.mark.parametrize(
    "overrides, reason",
    [
        ({"BETTER_AUTH_SECRET": None}, "BETTER_AUTH_SECRET is required in production"),
        ({"BETTER_AUTH_SECRET": ""}, "BETTER_AUTH_SECRET is required in production"),
        ({"BETTER_AUTH_SECRET": "x" * 31}, "BETTER_AUTH_SECRET must be at least 32 characters in production"),
        ({"DJANGO_SECRET_KEY": None}, "DJANGO_SECRET_KEY is required in production"),
        ({"DEBUG": "1"}, "DEBUG must be off in production"),
        ({"DEBUG": "true"}, "DEBUG must be off in production"),
        ({"CORS_ORIGINS": "*"}, "CORS_ORIGINS may not contain '*': list exact origins"),
        ({"CORS_ORIGINS": "https://app.example.com,*"}, "CORS_ORIGINS may not contain '*': list exact origins"),
        ({"ALLOWED_HOSTS": None}, "ALLOWED_HOSTS is required in production"),
        ({"MAX_BODY_BYTES": "lots"}, "MAX_BODY_BYTES must be a whole number, not 'lots'"),
        ({"DATABASE_URL": None}, "DATABASE_URL is required in production"),
        ({"DATABASE_URL": ""}, "DATABASE_URL is required in production"),
        ({"DATABASE_URL": "sqlite:///db.sqlite3"},
         "DATABASE_URL must be a postgres:// or postgresql:// URL: TaskFlow runs on PostgreSQL only"),
        ({"TASK_LIST_FORMAT": "objects"}, "TASK_LIST_FORMAT must be array or object, not 'objects'"),
        ({"TASK_LIST_FORMAT": "Array"}, "TASK_LIST_FORMAT must be array or object, not 'Array'"),
    ],
)
def test_production_refuses_unsafe_settings_with_one_line(overrides: dict, reason: str) -> None:
    env = {k: v for k, v in {**SAFE, **overrides}.items() if v is not None}

    result = start_django(env)

    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [f"ImproperlyConfigured: {reason}"]


def test_every_problem_is_named_in_the_one_line() -> None:
    env = {**SAFE, "BETTER_AUTH_SECRET": "short", "DEBUG": "1"}
    env.pop("DJANGO_SECRET_KEY")

    line = start_django(env).stderr.strip()

    assert line.count("\n") == 0
    for reason in ["BETTER_AUTH_SECRET must be at least 32", "DJANGO_SECRET_KEY is required", "DEBUG must be off"]:
        assert reason in line


def test_safe_production_settings_start() -> None:
    result = start_django(SAFE)

    assert result.returncode == 0, result.stderr


def test_development_needs_no_configuration_at_all() -> None:
    result = start_django({"PATH": SAFE["PATH"]})

    assert result.returncode == 0, result.stderr


def test_the_procfile_web_process_refuses_to_start_with_the_same_line(tmp_path: Path) -> None:
    env = {**SAFE, "BETTER_AUTH_SECRET": "too-short", "PORT": "0"}

    result = subprocess.run(["bash", "-c", procfile_command("web")], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60)

    assert result.returncode != 0
    assert "ImproperlyConfigured: BETTER_AUTH_SECRET must be at least 32 characters in production" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("environment", ["prod", "Production", "staging", "dev", "PRODUCTION", "test"])
def test_an_unknown_environment_refuses_to_start(environment: str) -> None:
    # Development mode would mean DEBUG on and the public dev secret: anyone could mint tokens.
    result = start_django({**SAFE, "ENVIRONMENT": environment})

    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        f"ImproperlyConfigured: ENVIRONMENT must be development or production, not {environment!r}"]


@pytest.mark.parametrize("value", ["abc", "0", "-1", "2.5"])
def test_the_procfile_web_process_refuses_a_bad_worker_count_in_one_line(value: str) -> None:
    env = {**SAFE, "WEB_CONCURRENCY": value, "PORT": "0"}

    result = subprocess.run(["bash", "-c", procfile_command("web")], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60)

    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        f"ImproperlyConfigured: WEB_CONCURRENCY must be a positive whole number, not {value!r}"]


def test_a_production_web_start_without_collectstatic_refuses_in_one_line(tmp_path: Path) -> None:
    # A fresh build that skipped collectstatic: a copy of the tree without staticfiles/.
    checkout = tmp_path / "build"
    shutil.copytree(ROOT, checkout, ignore=shutil.ignore_patterns(".git", ".venv", "node_modules", "staticfiles",
                                                                   "__pycache__", "bench", ".pgdata"))
    env = {**SAFE, "PORT": "0"}

    result = subprocess.run(["bash", "-c", procfile_command("web")], cwd=checkout, env=env, capture_output=True,
                            text=True, timeout=60)

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert ("ImproperlyConfigured: static files are not collected: run `python manage.py collectstatic --noinput` "
            "in the build step") in result.stderr.splitlines()

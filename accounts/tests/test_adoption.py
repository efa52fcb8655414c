"""manage.py adopt_fastapi_db on an original database with users: each keeps their id,
tasks and password (raw bcrypt, verified, then upgraded), over the Procfile's server."""
import os
import subprocess
import sys
from collections.abc import Iterator

import bcrypt
import dj_database_url
import jwt
import psycopg
import pytest
import requests
from django.conf import settings

from tasks.tests.conftest import PRODUCTION_SECRET, ROOT, admin_sql, database_url, platform_env, start_web

pytestmark = pytest.mark.slow
LONG_PASSWORD = "a long passphrase, " * 5  # 95 bytes: the original's bcrypt used the first 72


def bcrypt_hash(password: str) -> str:
    # As the original's hash_password, on bcrypt < 5 (which truncated at 72 bytes itself).
    return bcrypt.hashpw(password.encode()[:72], bcrypt.gensalt(rounds=10)).decode()


ORIGINAL = """
CREATE TABLE users (id VARCHAR PRIMARY KEY, email VARCHAR NOT NULL UNIQUE, name VARCHAR NOT NULL,
    password_hash VARCHAR, oauth_provider VARCHAR, oauth_id VARCHAR, created_at TIMESTAMP NOT NULL);
CREATE TABLE tasks (id SERIAL PRIMARY KEY, user_id VARCHAR(255) NOT NULL, title VARCHAR(200) NOT NULL,
    description TEXT, is_completed BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(), updated_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW());
CREATE INDEX idx_tasks_user_id ON tasks(user_id);
INSERT INTO tasks (user_id, title) VALUES ('5b0e1c9a-0000-4000-8000-000000000001', 'Ada''s task'),
    ('user_bob', 'Bob''s task');
"""


@pytest.fixture
def original_database() -> Iterator[str]:
    name = f"{dj_database_url.parse(settings.DATABASE_URL)['NAME']}_original_{os.getpid()}"
    admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin_sql(f'CREATE DATABASE "{name}"')
    url = database_url(name)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(ORIGINAL)
        conn.execute("INSERT INTO users VALUES (%s, %s, %s, %s, NULL, NULL, '2026-01-02 03:04:05'), "
                     "(%s, %s, %s, %s, NULL, NULL, now()), ('user_gina', 'gina@example.com', 'Gina', NULL, "
                     "'google', 'g-77', now())",
                     ["5b0e1c9a-0000-4000-8000-000000000001", "ada@example.com", "Ada", bcrypt_hash("ada's password"),
                      "user_bob", "bob@example.com", "Bob", bcrypt_hash(LONG_PASSWORD)])
    yield url
    admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def adopt(url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "manage.py", "adopt_fastapi_db"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "DATABASE_URL": url})


def stored_password(url: str, email: str) -> str:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT password FROM auth_user WHERE email = %s", [email]).fetchone()[0]


def test_adopted_users_sign_in_with_their_old_passwords_and_keep_their_tasks(original_database, tmp_path):
    url = original_database
    first = adopt(url)
    assert first.returncode == 0, first.stderr
    assert "Adopted 3 user(s) of the original's users table, with their passwords." in first.stdout
    assert stored_password(url, "ada@example.com").startswith("bcrypt$$2b$10$")
    again = adopt(url)
    assert again.returncode == 0 and "Adopted" not in again.stdout.replace("Adopted the FastAPI", "")

    server = start_web(platform_env(url), tmp_path)
    try:
        def login(email: str, password: str) -> requests.Response:
            return server.request("POST", "/auth/login", json={"email": email, "password": password})

        ada = login("ada@example.com", "ada's password")
        assert ada.status_code == 200, ada.text
        assert ada.json()["user"] == {"id": "5b0e1c9a-0000-4000-8000-000000000001", "email": "ada@example.com",
                                      "name": "Ada"}
        token = ada.json()["token"]
        assert jwt.decode(token, PRODUCTION_SECRET, algorithms=["HS256"])["sub"] == ada.json()["user"]["id"]
        tasks = server.request("GET", f"/api/{ada.json()['user']['id']}/tasks", token=token).json()
        assert [task["title"] for task in tasks] == ["Ada's task"]
        # Upgraded to the default hasher by that sign-in, and the password still works.
        assert stored_password(url, "ada@example.com").startswith("pbkdf2_sha256$")
        assert login("ada@example.com", "ada's password").status_code == 200
        assert login("ada@example.com", "not ada's password").status_code == 401

        assert login("bob@example.com", LONG_PASSWORD).status_code == 200
        gina = login("gina@example.com", "anything at all")
        assert (gina.status_code, gina.json()["detail"]) == (401, "This account uses Google sign-in. Please sign in with Google.")
        assert server.request("POST", "/auth/register", json={"name": "Bob 2", "email": "BOB@example.com",
                                                              "password": "another passphrase"}).status_code == 409
    finally:
        server.stop()

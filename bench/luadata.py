"""The data file each wrk run's Lua script reads (bench/taskflow.lua, bench/paced.lua):
every demo user's token and task ids, the tasks to delete, the clients' stored versions
and the login scenario's accounts; and the bench-made tasks' pool and removal."""
import time
from pathlib import Path

import jwt
import psycopg

SECRET = "bench-better-auth-secret-0123456789abcdef"
USERS = 100
# login signs in accounts the benchmark registers first (POST /auth/register). Its cost is
# the password hasher's work factor (PBKDF2, ~1M iterations: CPU by design), so it is a
# scenario of its own, never in the default list or the mix, with few connections: at 100,
# every request would wait out wrk's timeout behind the hashes of the others.
LOGIN_ACCOUNTS, LOGIN_PASSWORD = 10, "bench passphrase 0123456789"


def client_versions(url: str, users: list[str], tokens: list[str]) -> tuple[list[str], list[str]]:
    """Each user's list ETag and latest sync token, as a client that just loaded would hold them."""
    import requests

    etags, nexts = [], []
    with requests.Session() as session:
        for user, token in zip(users, tokens):
            headers = {"Authorization": f"Bearer {token}", "X-Forwarded-Proto": "https"}
            etags.append(session.get(f"{url}/api/{user}/tasks", headers=headers, timeout=60).headers["ETag"])
            nexts.append(session.get(f"{url}/api/{user}/changes", headers=headers, timeout=60).json()["next"])
    return etags, nexts


def lua_strings(values: list[str]) -> str:
    return "{" + ",".join("[[" + v + "]]" for v in values) + "}"


def login_accounts(url: str) -> list[str]:
    """E-mails of the accounts the login scenario signs in, registered once per database."""
    import requests

    emails = [f"bench-login-{n}@example.com" for n in range(LOGIN_ACCOUNTS)]
    with requests.Session() as session:
        for email in emails:
            done = session.post(f"{url}/auth/register", json={"name": "Bench", "email": email, "password": LOGIN_PASSWORD},
                                headers={"X-Forwarded-Proto": "https"}, timeout=60)
            if done.status_code not in (201, 409):
                raise RuntimeError(f"register for the login scenario: {done.status_code} {done.text}")
    return emails


def write_data(db_url: str, path: Path, pool: list[tuple[int, int]], versions_from: str = "", accounts_from: str = "") -> None:
    """Tokens for every demo user, their task ids, and a pool of (user, id) to delete;
    with `versions_from` (the app's URL) also each user's list ETag and sync token; with
    `accounts_from`, the e-mails and password of the login scenario's accounts."""
    with psycopg.connect(db_url) as conn:
        rows = conn.execute(
            "SELECT user_id, array_agg(id ORDER BY id) FROM tasks WHERE user_id LIKE 'demo-user-%%' "
            "AND title NOT LIKE 'bench-new%%' GROUP BY user_id ORDER BY user_id").fetchall()
    now = int(time.time())
    users = [r[0] for r in rows]
    tokens = [jwt.encode({"sub": u, "iat": now, "exp": now + 7200}, SECRET, algorithm="HS256") for u in users]
    index = {u: i + 1 for i, u in enumerate(users)}
    lua = ["return {", "users={" + ",".join(f'"{u}"' for u in users) + "},",
           "tokens={" + ",".join(f'"{t}"' for t in tokens) + "},", "ids={"]
    lua += ["{" + ",".join(map(str, r[1])) + "}," for r in rows]
    lua.append("},")
    lua.append("pool_u={" + ",".join(str(index[u]) for u, _ in pool) + "},")
    lua.append("pool_id={" + ",".join(str(i) for _, i in pool) + "},")
    if versions_from:
        etags, nexts = client_versions(versions_from, users, tokens)
        lua.append(f"etags={lua_strings(etags)},")
        lua.append(f"nexts={lua_strings(nexts)},")
    if accounts_from:
        lua.append(f"emails={lua_strings(login_accounts(accounts_from))},")
        lua.append(f"password=[[{LOGIN_PASSWORD}]],")
    lua.append("}")
    path.write_text("\n".join(lua))


def delete_pool(db_url: str, needed: int) -> list[tuple[int, int]]:
    """Tasks the benchmark created (by its create scenario or, topped up, by SQL), shuffled."""
    with psycopg.connect(db_url) as conn:
        have = conn.execute("SELECT count(*) FROM tasks WHERE title LIKE 'bench-new%%'").fetchone()[0]
        if have < needed:
            conn.execute(
                "INSERT INTO tasks (user_id, title, description, is_completed, created_at, updated_at) "
                "SELECT 'demo-user-' || lpad((1 + g %% %s)::text, 4, '0'), 'bench-new pool', NULL, false, now(), now() "
                "FROM generate_series(1, %s) g", [USERS, needed - have])
        rows = conn.execute("SELECT user_id, id FROM tasks WHERE title LIKE 'bench-new%%' ORDER BY random()").fetchall()
    return [(u, i) for u, i in rows]


def remove_bench_tasks(db_url: str) -> None:
    """Back to 1,000 tasks per user, so every list scenario reads the same amount."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("DELETE FROM tasks WHERE title LIKE 'bench-new%%'")

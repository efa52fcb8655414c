"""The admission gate (taskflow.server.admission), over HTTP against the Procfile start: one
worker with a pool of one database connection, so one request at a time is inside Django
and everything else waits, bounded and in order of arrival, for its place; and the pool's
connections, kept from request to request and never more than DB_POOL_SIZE."""
import json
import re
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from tasks.tests.conftest import FRONTEND_ORIGIN, WebServer, sub_of

pytestmark = pytest.mark.slow

ONE_TURN = {"WEB_CONCURRENCY": "1", "DB_POOL_SIZE": "1", "ADMISSION_WAIT_SECONDS": "1", "CLIENT_TIMEOUT_SECONDS": "2"}


@pytest.fixture(scope="module")
def one_turn(start_service: Callable[..., WebServer]) -> WebServer:
    return start_service(**ONE_TURN)


def timed(call: Callable[[], object]) -> tuple[object, float]:
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def test_a_request_without_a_turn_gets_503_after_the_wait_and_health_never_waits(
        one_turn: WebServer, production_token: Callable[..., str], service_database_url: str) -> None:
    token = production_token()
    task = one_turn.request("POST", f"/api/{sub_of(token)}/tasks", token, json={"title": "held"}).json()
    with psycopg.connect(service_database_url) as holder, ThreadPoolExecutor(2) as pool:
        holder.execute("SELECT 1 FROM tasks WHERE id = %s FOR UPDATE", [task["id"]])
        # The PATCH takes the only place and waits on the row lock (statement timeout 5 s).
        patch = pool.submit(lambda: one_turn.request("PATCH", f"/api/{sub_of(token)}/tasks/{task['id']}", token,
                                                     json={"title": "after the lock"}))
        time.sleep(0.5)
        busy, busy_s = timed(lambda: one_turn.request("GET", f"/api/{sub_of(token)}/tasks", token,
                                                      headers={"Origin": FRONTEND_ORIGIN}))
        health, health_s = timed(lambda: one_turn.request("GET", "/health"))
        holder.commit()
        patched = patch.result()
    assert (busy.status_code, busy.json(), busy.headers["Retry-After"]) == (503, {"detail": "Service busy"}, "5")
    assert 0.9 < busy_s < 3
    # Answered by Django's middleware like any other answer: a browser can read it.
    assert busy.headers["Access-Control-Allow-Origin"] == FRONTEND_ORIGIN and "Retry-After" in busy.headers["Access-Control-Expose-Headers"]
    assert busy.headers["X-Request-Id"] and busy.headers["X-Content-Type-Options"] == "nosniff"
    assert health.status_code == 200 and health_s < 1
    assert patched.status_code == 200 and patched.json()["title"] == "after the lock"
    assert one_turn.request("GET", f"/api/{sub_of(token)}/tasks", token).status_code == 200


def test_every_answer_gives_its_turn_back(one_turn: WebServer, production_token: Callable[..., str]) -> None:
    token = production_token()
    path = f"/api/{sub_of(token)}/tasks"
    # Answers of every kind, each through the one place: had any kept it, the rest would be 503.
    answers = [
        one_turn.request("POST", path, token, json={"title": "ok"}).status_code,
        one_turn.request("POST", path, token, json={"title": ""}).status_code,
        one_turn.request("POST", path, token, data=b"x" * 2_000_000, headers={"Content-Type": "application/json"}).status_code,
        one_turn.request("GET", path, "not-a-token").status_code,
        one_turn.request("GET", f"{path}/999999999", token).status_code,
        one_turn.request("GET", "/static/admin/css/base.css").status_code,
    ]
    with ThreadPoolExecutor(8) as pool:
        parallel = list(pool.map(lambda _: one_turn.request("GET", path, token).status_code, range(40)))
    assert answers == [201, 422, 413, 401, 404, 200]
    assert parallel == [200] * 40


def test_a_slow_upload_holds_no_turn_and_times_out_408(one_turn: WebServer, production_token: Callable[..., str]) -> None:
    token = production_token()
    path = f"/api/{sub_of(token)}/tasks"
    port = int(one_turn.url.rsplit(":", 1)[1])
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n").encode()
    replies: list[tuple[bytes, float]] = []

    def stall() -> None:
        with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
            started = time.monotonic()
            sock.sendall(head + b'{"title": "sta')
            reply = sock.recv(65536)
            seconds = time.monotonic() - started
            while chunk := sock.recv(65536):  # the rest of the answer, then the close
                reply += chunk
            replies.append((reply, seconds))

    stallers = [threading.Thread(target=stall) for _ in range(5)]
    for thread in stallers:
        thread.start()
    time.sleep(0.5)
    meanwhile = [timed(lambda: one_turn.request("GET", path, token)) for _ in range(3)]
    for thread in stallers:
        thread.join()
    assert [(answer.status_code, seconds < 1) for answer, seconds in meanwhile] == [(200, True)] * 3
    for reply, seconds in replies:
        head, _, body = reply.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408 ")
        # Then the connection is closed (recv returned b""): the rest of that body never counts as a request.
        assert json.loads(body) == {"detail": "Request body not received in time"}
        assert 1.5 < seconds < 5
    assert len(replies) == 5



def worker_connections(database_url: str, application_name: str) -> set[int]:
    """The backend pids of the server's database connections (libpq's PGAPPNAME tags them)."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s", [application_name])
        return {pid for (pid,) in rows}


def test_a_worker_holds_at_most_db_pool_size_connections_whatever_the_clients(
        start_service: Callable[..., WebServer], production_token: Callable[..., str], service_database_url: str) -> None:
    server = start_service(WEB_CONCURRENCY="1", DB_POOL_SIZE="2", PGAPPNAME="taskflow-two-turns")
    tokens = [production_token() for _ in range(20)]

    def burst() -> list[int]:
        # 20 clients at once, each on a connection of its own (a greenlet each on the server).
        with ThreadPoolExecutor(20) as pool:
            return list(pool.map(lambda i: server.request("GET", f"/api/{sub_of(tokens[i % 20])}/tasks", tokens[i % 20]).status_code,
                                 range(100)))

    assert burst() == [200] * 100
    first = worker_connections(service_database_url, "taskflow-two-turns")
    assert burst() == [200] * 100
    assert 1 <= len(first) <= 2
    # The same connections again: kept in the pool from one request to the next, not
    # opened per request.
    assert worker_connections(service_database_url, "taskflow-two-turns") == first


def test_a_terminated_backend_is_replaced_without_a_restart(
        start_service: Callable[..., WebServer], production_token: Callable[..., str], service_database_url: str) -> None:
    server = start_service(WEB_CONCURRENCY="1", DB_POOL_SIZE="1", PGAPPNAME="taskflow-dropped")
    token = production_token()
    path = f"/api/{sub_of(token)}/tasks"
    assert server.request("GET", path, token).status_code == 200
    with psycopg.connect(service_database_url, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'taskflow-dropped'")
    # The request that finds its connection gone answers 503 (or the pool already replaced
    # it), and the pool then has a new connection: no restart, no lasting failure.
    # While the pool replaces it (in its background: milliseconds here) a request answers
    # 503 + Retry-After rather than wait; then every request is served again.
    answers = []
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and (not answers or answers[-1].status_code != 200):
        answers.append(server.request("GET", path, token))
        time.sleep(0.05)
    assert answers[-1].status_code == 200, [a.text for a in answers]
    assert all((a.status_code, a.json()["detail"], "Retry-After" in a.headers) == (503, "Database unavailable", True)
               for a in answers[:-1]), [a.text for a in answers]
    assert [server.request("GET", path, token).status_code for _ in range(5)] == [200] * 5


def test_waiters_get_in_strictly_in_order_of_arrival(
        start_service: Callable[..., WebServer], production_token: Callable[..., str], service_database_url: str) -> None:
    server = start_service(WEB_CONCURRENCY="1", DB_POOL_SIZE="1", ADMISSION_WAIT_SECONDS="10")
    token = production_token()
    path = f"/api/{sub_of(token)}/tasks"
    task = server.request("POST", path, token, json={"title": "held"}).json()
    statuses: dict[int, int] = {}

    def get(index: int) -> None:
        statuses[index] = server.request("GET", path, token, headers={"X-Request-Id": f"fifo-{index}"}).status_code

    with psycopg.connect(service_database_url) as holder:
        holder.execute("SELECT 1 FROM tasks WHERE id = %s FOR UPDATE", [task["id"]])
        # The PATCH takes the only place and waits on the row lock; then six GETs queue,
        # 0.15 s apart, so the order of their arrival is known.
        patch = threading.Thread(target=server.request, args=("PATCH", f"{path}/{task['id']}", token),
                                 kwargs={"json": {"title": "x"}})
        patch.start()
        time.sleep(0.5)
        waiters = [threading.Thread(target=get, args=(index,)) for index in range(6)]
        for thread in waiters:
            thread.start()
            time.sleep(0.15)
        holder.commit()
        for thread in [patch, *waiters]:
            thread.join(30)
    # The order Django finished them in, from the server's own request log (one worker):
    # client threads may read answers that are milliseconds apart in any order.
    finished = re.findall(r'"request_id":"fifo-(\d)"', server.log_text())
    assert statuses == {index: 200 for index in range(6)}
    assert finished == [str(index) for index in range(6)]


def test_expired_connections_are_replaced_by_the_pool_and_requests_go_on(
        start_service: Callable[..., WebServer], production_token: Callable[..., str], service_database_url: str) -> None:
    """CONN_MAX_AGE reopened an expired connection on the path of the next request that
    used it; the pool replaces it in its background (max_lifetime) and every request
    meanwhile gets a connection that is already open."""
    server = start_service(WEB_CONCURRENCY="1", DB_POOL_SIZE="2", DB_POOL_MAX_LIFETIME_SECONDS="1",
                           PGAPPNAME="taskflow-lifetime")
    token = production_token()
    path = f"/api/{sub_of(token)}/tasks"
    assert server.request("GET", path, token).status_code == 200
    first = worker_connections(service_database_url, "taskflow-lifetime")
    statuses = []
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        statuses.append(server.request("GET", path, token).status_code)
        time.sleep(0.05)
    later = worker_connections(service_database_url, "taskflow-lifetime")
    assert set(statuses) == {200}
    assert later and not later & first  # every connection was replaced, without a restart
    assert len(later) <= 2

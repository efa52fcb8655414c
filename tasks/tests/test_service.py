"""The contract over real HTTP against the Procfile start (production settings), and what
happens when PostgreSQL is down or stuck."""
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator

import psycopg
import pytest
import requests

from .conftest import WebServer, start_of_a_fresh_window, sub_of

pytestmark = pytest.mark.slow


def test_a_task_lives_through_every_route(service: WebServer, production_token: Callable[..., str]) -> None:
    token = production_token(email="ada@example.com")
    base = f"/api/{sub_of(token)}/tasks"

    created = service.request("POST", base, token, json={"title": " Buy groceries ", "description": "Milk"})
    task_url = created.headers["Location"]
    listed = service.request("GET", base + "/", token)
    patched = service.request("PATCH", task_url, token, json={"description": None})
    put = service.request("PUT", task_url + "/", token, json={"title": "Buy bread"})
    completed = service.request("PATCH", task_url + "/complete", token)
    fetched = service.request("GET", task_url, token)
    deleted = service.request("DELETE", task_url, token)
    gone = service.request("GET", task_url, token)

    assert [r.status_code for r in (created, listed, patched, put, completed, fetched, deleted, gone)] == [
        201, 200, 200, 200, 200, 200, 204, 404]
    assert task_url == f"{base}/{created.json()['id']}"
    assert created.json()["title"] == "Buy groceries" and listed.json() == [created.json()]
    assert fetched.json() | {"updated_at": None} == {**created.json(), "title": "Buy bread", "description": None,
                                                     "is_completed": True, "updated_at": None}
    assert deleted.content == b"" and gone.json() == {"detail": "Task not found"}
    assert all(r.history == [] for r in (created, listed, put))  # never a redirect


def test_bad_token_gets_401_over_http(service: WebServer) -> None:
    response = service.request("GET", "/api/x/tasks", "not-a-token")

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token"}
    assert response.headers["WWW-Authenticate"] == "Bearer"


class RawConnection:
    """One client connection, read by hand: requests.Session would silently reconnect,
    so only a raw socket tells a kept connection from a closed one."""

    def __init__(self, server: WebServer) -> None:
        self.sock = socket.create_connection(("127.0.0.1", int(server.url.rsplit(":", 1)[1])), timeout=15)
        self.buffer = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def answer(self) -> tuple[int, bytes, dict[str, str]]:
        """The next whole answer: (status, body, headers)."""
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            assert chunk, f"closed before a whole answer: {self.buffer!r}"
            self.buffer += chunk
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines[1:])}
        length = int(headers.get("content-length", "0"))
        while len(self.buffer) < length:
            self.buffer += self.sock.recv(65536)
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return int(lines[0].split()[1]), body, headers

    def closed_within(self, seconds: float) -> bool:
        """True when the server closes the connection within `seconds` (recv gives b"")."""
        self.sock.settimeout(seconds)
        try:
            while chunk := self.sock.recv(65536):
                self.buffer += chunk
            return True
        except (socket.timeout, ConnectionResetError):
            return False
        finally:
            self.sock.settimeout(15)

    def close(self) -> None:
        self.sock.close()


def request_head(method: str, path: str, token: str, **headers: str) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Authorization: Bearer {token}",
             *(f"{name.replace('_', '-')}: {value}" for name, value in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def test_a_normal_answer_keeps_the_connection_open_for_the_next_request(
        service: WebServer, production_token: Callable[..., str]) -> None:
    token = production_token()
    connection = RawConnection(service)
    try:
        connection.send(request_head("GET", f"/api/{sub_of(token)}/tasks", token))
        first = connection.answer()
        assert not connection.closed_within(1.0)
        connection.send(request_head("GET", f"/api/{sub_of(token)}/tasks", token))
        second = connection.answer()
    finally:
        connection.close()
    assert [first[0], second[0]] == [200, 200]


def test_oversized_body_gets_413_and_then_the_connection_is_closed(
        service: WebServer, production_token: Callable[..., str]) -> None:
    token = production_token()
    connection = RawConnection(service)
    try:
        # 2 MB announced, 100 KB sent: the rest is never read to answer that it is too big.
        connection.send(request_head("POST", f"/api/{sub_of(token)}/tasks", token, Content_Type="application/json",
                                     Content_Length="2000000") + b"x" * 100_000)
        status, body, headers = connection.answer()
        closed = connection.closed_within(2.0)
    finally:
        connection.close()
    assert (status, json.loads(body)) == (413, {"detail": "Request body larger than 1048576 bytes"})
    # Said in the answer (RFC 9112 9.6): a client that reused the connection would lose its next request.
    assert headers["connection"] == "close"
    assert closed, "the connection stayed open after a 413 with 1.9 MB of body unread"
    assert service.request("GET", f"/api/{sub_of(token)}/tasks", token).json() == []


def test_stalled_body_gets_408_and_then_the_connection_is_closed(
        service: WebServer, production_token: Callable[..., str]) -> None:
    token = production_token()
    connection = RawConnection(service)
    try:
        connection.send(request_head("POST", f"/api/{sub_of(token)}/tasks", token, Content_Type="application/json",
                                     Content_Length="100") + b'{"title": "sta')
        started = time.monotonic()
        status, body, headers = connection.answer()
        answered_s = time.monotonic() - started
        closed = connection.closed_within(2.0)
    finally:
        connection.close()
    assert (status, json.loads(body)) == (408, {"detail": "Request body not received in time"})
    assert 4 < answered_s < 8  # CLIENT_TIMEOUT_SECONDS (5) without a byte
    assert headers["connection"] == "close"
    assert closed, "the connection stayed open after a 408: the rest of the body would count as a request"


def test_body_just_under_the_limit_is_accepted(service: WebServer, production_token: Callable[..., str]) -> None:
    token = production_token()
    response = service.request("POST", f"/api/{sub_of(token)}/tasks", token,
                               json={"title": "fits", "description": "x" * 10_000})

    assert response.status_code == 201


@pytest.fixture(scope="module")
def service_without_database(start_service: Callable[..., WebServer]) -> WebServer:
    return start_service(DATABASE_URL="postgres://postgres@127.0.0.1:1/taskflow")


def test_unreachable_database_is_503_with_retry_after(service_without_database: WebServer,
                                                      production_token: Callable[..., str]) -> None:
    token = production_token()

    live = service_without_database.request("GET", "/health")
    ready = service_without_database.request("GET", "/health/ready")
    api = service_without_database.request("GET", f"/api/{sub_of(token)}/tasks", token)

    assert live.status_code == 200
    for response in (ready, api):
        assert response.status_code == 503
        assert response.json() == {"detail": "Database unavailable"}
        assert int(response.headers["Retry-After"]) > 0
    assert "psycopg" not in api.text and "5432" not in api.text


@pytest.fixture
def silent_database() -> Iterator[int]:
    """A TCP port that accepts connections and never answers, like a hung server."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    listener.close()


def test_a_database_that_never_answers_costs_seconds_not_a_worker(start_service: Callable[..., WebServer],
                                                                   silent_database: int,
                                                                   production_token: Callable[..., str]) -> None:
    server = start_service(DATABASE_URL=f"postgres://postgres@127.0.0.1:{silent_database}/taskflow",
                           DB_CONNECT_TIMEOUT="2")
    token = production_token()

    started = time.monotonic()
    response = server.request("GET", f"/api/{sub_of(token)}/tasks", token)

    assert response.status_code == 503 and "Retry-After" in response.headers
    assert time.monotonic() - started < 15
    assert server.request("GET", "/health").status_code == 200


def test_a_statement_stuck_on_a_lock_times_out_as_503_and_writes_nothing(
        start_service: Callable[..., WebServer], service_database_url: str,
        production_token: Callable[..., str]) -> None:
    server = start_service(DB_STATEMENT_TIMEOUT_MS="500")
    token = production_token()
    task = server.request("POST", f"/api/{sub_of(token)}/tasks", token, json={"title": "locked"}).json()

    with psycopg.connect(service_database_url) as blocker:
        blocker.execute("SELECT 1 FROM tasks WHERE id = %s FOR UPDATE", [task["id"]])
        response = server.request("PATCH", f"/api/{sub_of(token)}/tasks/{task['id']}", token, json={"title": "new"})
        blocker.rollback()

    assert response.status_code == 503
    assert response.json() == {"detail": "Database unavailable"}
    assert int(response.headers["Retry-After"]) > 0
    assert server.request("GET", f"/api/{sub_of(token)}/tasks/{task['id']}", token).json()["title"] == "locked"


def test_rate_limit_is_shared_by_every_worker(start_service: Callable[..., WebServer],
                                              production_token: Callable[..., str]) -> None:
    server = start_service(RATE_LIMIT="5/day", REDIS_URL="redis://127.0.0.1:6379/15", WEB_CONCURRENCY="3")
    token, other = production_token(), production_token()
    start_of_a_fresh_window(86_400)  # the eight requests never straddle two windows

    # Fresh connections spread the requests over the workers.
    statuses = [requests.get(f"{server.url}/api/{sub_of(token)}/tasks", timeout=30,
                             headers={"Authorization": f"Bearer {token}", "Connection": "close"}).status_code
                for _ in range(8)]
    someone_else = server.request("GET", f"/api/{sub_of(other)}/tasks", other)

    assert statuses == [200] * 5 + [429] * 3
    assert someone_else.status_code == 200


def chunks(data: bytes, size: int = 7) -> Iterator[bytes]:
    yield from (data[i:i + size] for i in range(0, len(data), size))


def test_a_chunked_body_is_read_like_any_other(service: WebServer, production_token: Callable[..., str]) -> None:
    token = production_token()

    # requests sends a generator body with Transfer-Encoding: chunked and no Content-Length.
    response = service.request("POST", f"/api/{sub_of(token)}/tasks", token, data=chunks(b'{"title": "chunked"}'),
                               headers={"Content-Type": "application/json"})

    assert response.status_code == 201
    assert response.json()["title"] == "chunked"


def test_an_oversized_chunked_body_is_413(service: WebServer, production_token: Callable[..., str]) -> None:
    token = production_token()
    body = b'{"title": "x", "description": "' + b"y" * (1024 * 1024 + 10) + b'"}'

    response = service.request("POST", f"/api/{sub_of(token)}/tasks", token, data=chunks(body, 65536),
                               headers={"Content-Type": "application/json"})

    assert response.status_code == 413
    assert service.request("GET", f"/api/{sub_of(token)}/tasks", token).json() == []

"""Hostile requests over real HTTP against the Procfile start (production settings):
no 500, no HTML, no hint to an unauthenticated client (issue 12's table)."""
import socket
import time
from collections.abc import Callable
from urllib.parse import quote

import jwt
import pytest

from .conftest import PRODUCTION_SECRET, WebServer, sub_of

pytestmark = pytest.mark.slow

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def raw_exchange(server: WebServer, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send bytes no HTTP library would send; the status, headers and body of the answer."""
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in header_lines)}
    return int(status_line.split()[1]), headers, body


def test_authenticated_options_answers_200_with_allow_on_every_route(service: WebServer,
                                                                     production_token: Callable[..., str]) -> None:
    token = production_token()
    base = f"/api/{sub_of(token)}/tasks"
    task_id = service.request("POST", base, token, json={"title": "t"}).json()["id"]

    answers = {path: service.request("OPTIONS", path, token) for path in
               [base, f"{base}/{task_id}", f"{base}/{task_id}/complete", f"{base}/999999"]}

    assert {path: r.status_code for path, r in answers.items()} == dict.fromkeys(answers, 200)
    assert set(answers[f"{base}/{task_id}"].headers["Allow"].split(", ")) >= {"GET", "PUT", "PATCH", "DELETE"}
    assert "PATCH" in answers[f"{base}/{task_id}/complete"].headers["Allow"]
    assert all(r.json()["renders"] == ["application/json"] for r in answers.values())


@pytest.mark.parametrize("exp", [10**20, 253402300800, 2**63])
def test_validly_signed_token_with_exp_past_year_9999_is_invalid_token(service: WebServer, exp: int) -> None:
    token = jwt.encode({"sub": "user_far_future", "exp": exp}, PRODUCTION_SECRET, algorithm="HS256")

    response = service.request("GET", "/api/user_far_future/tasks", token)

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token"}


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("sub", ["user\x00nul", "user\x1fus", "user\x7fdel"])
def test_validly_signed_token_with_control_characters_in_sub_is_invalid_token(
        service: WebServer, method: str, sub: str) -> None:
    token = jwt.encode({"sub": sub, "exp": int(time.time()) + 300}, PRODUCTION_SECRET, algorithm="HS256")

    response = service.request(method, f"/api/{quote(sub)}/tasks/1", token, json={"title": "x"})

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token"}


@pytest.mark.parametrize("method, path", [("GET", "/api/u/tasks"), ("POST", "/api/u/tasks"),
                                          ("DELETE", "/api/u/tasks/1"), ("PATCH", "/api/u/tasks/1/complete"),
                                          ("OPTIONS", "/api/u/tasks/1"), ("GET", "/api/no/such/route")])
@pytest.mark.parametrize("token", [None, "not-a-token"])
def test_a_401_carries_no_allow(service: WebServer, method: str, path: str, token: str | None) -> None:
    response = service.request(method, path, token)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert "Allow" not in response.headers


@pytest.mark.parametrize(
    "request_bytes, status, detail",
    [
        pytest.param(b"GET /api/u/tasks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + b"a" * 9000 + b"\r\n\r\n",
                     431, "Request header fields too large", id="authorization-over-8kb"),
        pytest.param(b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "Request line too long",
                     id="request-line-over-4kb"),
        pytest.param(b"GET /api/\xff\xfe/tasks HTTP/1.1\r\nHost: x\r\n\r\n", 400, "Bad request", id="raw-non-ascii-path"),
        pytest.param(b"GET /health HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n", 400, "Bad request",
                     id="space-in-header-name"),
    ],
)
def test_what_gunicorn_refuses_itself_is_json_too(service: WebServer, request_bytes: bytes, status: int,
                                                  detail: str) -> None:
    got_status, headers, body = raw_exchange(service, request_bytes)

    assert (got_status, headers["content-type"]) == (status, "application/json")
    assert body.decode() == '{"detail": "%s"}' % detail


def test_a_1mb_claim_is_a_json_431_not_a_500(service: WebServer) -> None:
    token = jwt.encode({"sub": "user_big", "exp": int(time.time()) + 300, "blob": "x" * (1 << 20)},
                       PRODUCTION_SECRET, algorithm="HS256")

    status, headers, body = raw_exchange(
        service, b"GET /api/user_big/tasks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token.encode() + b"\r\n\r\n")

    assert (status, headers["content-type"], body) == (431, "application/json",
                                                       b'{"detail": "Request header fields too large"}')

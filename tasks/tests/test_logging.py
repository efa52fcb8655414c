"""Request logs: one JSON line per request, and a request id that follows it everywhere."""
import hashlib
import io
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest
from django.test import Client

from tasks.logs import JSONFormatter
from tasks.middleware import route_template
from tasks.views import TaskViewSet

from .conftest import FRONTEND_ORIGIN, WebServer, sub_of

pytestmark = pytest.mark.django_db
GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def log_lines() -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """What the configured console handler (LOGGING) writes, parsed line by line."""
    handler = next(h for h in logging.getLogger().handlers if isinstance(h.formatter, JSONFormatter))
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield lambda: [orjson.loads(line) for line in stream.getvalue().splitlines()]
    handler.setStream(previous)


def request_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [line for line in lines if line["logger"] == "tasks.requests"]


def test_api_request_logs_one_json_line_with_route_status_and_hashed_sub(api, make_task, make_token, log_lines):
    task = make_task(user_id="user_a")
    token = make_token("user_a")

    response = api.get(f"/api/user_a/tasks/{task.pk}/", HTTP_X_REQUEST_ID="req-1.a_B")

    assert response.status_code == 200 and response["X-Request-Id"] == "req-1.a_B"
    [line] = request_lines(log_lines())
    assert {k: line[k] for k in ("level", "message", "request_id", "method", "route", "status", "user")} == {
        "level": "INFO",
        "message": "GET /api/{user_id}/tasks/{task_id} 200",
        "request_id": "req-1.a_B",
        "method": "GET",
        "route": "/api/{user_id}/tasks/{task_id}",
        "status": 200,
        "user": hashlib.sha256(b"user_a").hexdigest()[:12],
    }
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert token.split(".")[1] not in str(log_lines()) and "user_a" not in str(line)


@pytest.mark.parametrize(
    ("incoming", "kept"),
    [
        pytest.param("abc-123", True, id="sane"),
        pytest.param("x" * 128, True, id="128-chars"),
        pytest.param("x" * 129, False, id="too-long"),
        pytest.param("", False, id="empty"),
        pytest.param("a b", False, id="space"),
        pytest.param('a"}{', False, id="json-breaking"),
        pytest.param("é", False, id="non-ascii"),
    ],
)
def test_incoming_request_id_is_kept_only_when_sane(incoming, kept, log_lines):
    response = Client().get("/health", HTTP_X_REQUEST_ID=incoming)

    expected = incoming if kept else None
    assert response.status_code == 200
    assert response["X-Request-Id"] == expected or (not kept and GENERATED.fullmatch(response["X-Request-Id"]))
    [line] = request_lines(log_lines())
    assert line["request_id"] == response["X-Request-Id"] and line["route"] == "/health" and line["user"] is None


@pytest.mark.parametrize(
    ("path", "status", "route"),
    [
        pytest.param("/api/user_a/tasks", 401, "/api/{user_id}/tasks", id="api-401"),
        pytest.param("/api/user_a/nothing/here", 401, "/api/*", id="unknown-api-path"),
        pytest.param("/nowhere", 404, None, id="unmatched"),
        pytest.param("/admin/tasks/task/", 302, "/admin/tasks/task/", id="admin-redirect"),
    ],
)
def test_every_response_carries_a_request_id_and_is_logged(path, status, route, log_lines):
    response = Client().get(path)

    assert response.status_code == status and GENERATED.fullmatch(response["X-Request-Id"])
    [line] = request_lines(log_lines())
    assert (line["status"], line["route"], line["request_id"]) == (status, route, response["X-Request-Id"])


def test_server_error_shows_the_client_only_the_id_and_logs_the_traceback_with_it(api, monkeypatch, log_lines):
    def explode(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("SELECT secret FROM somewhere")

    monkeypatch.setattr(TaskViewSet, "list", explode)

    response = api.get("/api/user_a/tasks", HTTP_X_REQUEST_ID="trace-me")

    assert response.status_code == 500 and response.json() == {"detail": "Internal server error"}
    assert response["X-Request-Id"] == "trace-me" and b"secret" not in response.content
    errors = [line for line in log_lines() if line["level"] == "ERROR"]
    # Ours with the traceback, and django.request's one-line "Internal Server Error".
    assert errors and all(line["request_id"] == "trace-me" for line in errors)
    [traced] = [line for line in errors if "traceback" in line]
    assert "RuntimeError: SELECT secret FROM somewhere" in traced["traceback"]
    assert request_lines(log_lines())[0]["status"] == 500


def test_server_error_outside_drf_is_json_with_the_id_and_traced(admin_user, monkeypatch, log_lines):
    def explode(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("admin view broke")

    monkeypatch.setattr("tasks.admin.TaskAdmin.get_queryset", explode)
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)

    response = client.get("/admin/tasks/task/", HTTP_X_REQUEST_ID="admin-500")

    assert response.status_code == 500 and response.json() == {"detail": "Internal server error"}
    assert response["X-Request-Id"] == "admin-500"
    [traced] = [line for line in log_lines() if "traceback" in line]
    assert traced["request_id"] == "admin-500" and "RuntimeError: admin view broke" in traced["traceback"]


def test_cors_lets_the_frontend_send_and_read_the_request_id(settings):
    settings.CORS_ALLOWED_ORIGINS = [FRONTEND_ORIGIN]
    client = Client()

    preflight = client.options("/api/user_a/tasks", HTTP_ORIGIN=FRONTEND_ORIGIN,
                               HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
                               HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, x-request-id")
    actual = client.get("/health", HTTP_ORIGIN=FRONTEND_ORIGIN)

    assert preflight.status_code == 200 and "x-request-id" in preflight["Access-Control-Allow-Headers"]
    assert "X-Request-Id" in actual["Access-Control-Expose-Headers"]


@pytest.mark.parametrize(
    ("route", "template"),
    [
        (r"^api/(?P<user_id>[^/]+)/tasks/?$", "/api/{user_id}/tasks"),
        (r"^api/(?P<user_id>[^/]+)/tasks/(?P<task_id>[^/]+)/complete/?$", "/api/{user_id}/tasks/{task_id}/complete"),
        ("admin/tasks/task/<path:object_id>/change/", "/admin/tasks/task/{object_id}/change/"),
        ("openapi.json", "/openapi.json"),
    ],
)
def test_route_template_names_the_pattern_not_the_path(route, template):
    assert route_template(route) == template


@pytest.mark.slow
def test_gunicorn_writes_only_our_json_line_for_a_request(service: WebServer, production_token):
    token = production_token()

    response = service.request("GET", f"/api/{sub_of(token)}/tasks", token=token, headers={"X-Request-Id": "gunicorn-line-1"})

    assert response.status_code == 200 and response.headers["X-Request-Id"] == "gunicorn-line-1"
    lines = [line for line in service.log_text().splitlines() if "gunicorn-line-1" in line]
    assert len(lines) == 1, lines  # no access-log duplicate
    line = orjson.loads(lines[0])
    assert (line["route"], line["status"], line["user"]) == ("/api/{user_id}/tasks", 200, hashlib.sha256(sub_of(token).encode()).hexdigest()[:12])

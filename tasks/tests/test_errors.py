"""Every error row of the contract: JSON with `detail`, the right status and headers."""
from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from tasks import listing
from tasks.models import Task

from .conftest import seconds_left_in_window, start_of_a_fresh_window

DAY = 86_400

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/user_a/nothing", "/api/user_a/tasks/1/archive", "/api", "/api/",
                                  "/api/user_a", "/api/user_a/tasks/1/complete/extra"])
def test_unknown_api_path_is_a_json_404(api: APIClient, path: str) -> None:
    response = api.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found"}


def test_unknown_path_outside_the_api_is_a_json_404_too() -> None:
    response = APIClient().get("/no/such/page")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found"}


@pytest.mark.parametrize(
    "method, path, allowed",
    [("DELETE", "/api/user_a/tasks", {"GET", "POST"}), ("PUT", "/api/user_a/tasks/", {"GET", "POST"}),
     ("PATCH", "/api/user_a/tasks", {"GET", "POST"}), ("POST", "/api/user_a/tasks/1", {"GET", "PUT", "PATCH", "DELETE"}),
     ("GET", "/api/user_a/tasks/1/complete", {"PATCH"}), ("POST", "/api/user_a/tasks/1/complete/", {"PATCH"})],
)
def test_method_not_allowed_is_405_with_allow(api: APIClient, method: str, path: str, allowed: set[str]) -> None:
    response = api.generic(method, path)

    assert response.status_code == 405
    assert response.json() == {"detail": f'Method "{method}" not allowed.'}
    assert allowed <= {m.strip() for m in response["Allow"].split(",")}
    assert method not in {m.strip() for m in response["Allow"].split(",")}


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                                          "application/xml", ""])
def test_body_that_is_not_json_is_415(api: APIClient, content_type: str) -> None:
    response = api.generic("POST", "/api/user_a/tasks", '{"title": "x"}', content_type=content_type)

    assert response.status_code == 415
    assert response.json() == {"detail": f'Unsupported media type "{content_type}" in request.'}
    assert not Task.objects.for_user("user_a").exists()


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8", "Application/JSON"])
def test_json_content_type_with_parameters_is_accepted(api: APIClient, content_type: str) -> None:
    response = api.generic("POST", "/api/user_a/tasks", '{"title": "x"}', content_type=content_type)

    assert response.status_code == 201


@pytest.mark.parametrize("raw", [b"{bad", b'{"title": "x",}', b'{"title": NaN}', b'{"title": "x"} trailing',
                                 b'{"title": "\xff\xfe"}', b"{'title': 'x'}"])
def test_invalid_json_is_400(api: APIClient, make_task: Callable, raw: bytes) -> None:
    task = make_task(title="untouched")

    created = api.generic("POST", "/api/user_a/tasks", raw, content_type="application/json")
    patched = api.generic("PATCH", f"/api/user_a/tasks/{task.id}", raw, content_type="application/json")

    assert created.status_code == patched.status_code == 400
    assert created.json()["detail"].startswith("Invalid JSON: ")
    assert patched.json()["detail"].startswith("Invalid JSON: ")
    assert Task.objects.for_user("user_a").get().title == "untouched"


def test_body_over_the_limit_is_413(api: APIClient, settings: Any) -> None:
    settings.MAX_BODY_BYTES = settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = api.post("/api/user_a/tasks", {"title": "x", "description": "y" * 2000}, format="json")

    assert response.status_code == 413
    assert response.json() == {"detail": "Request body larger than 1000 bytes"}
    assert not Task.objects.for_user("user_a").exists()


def test_unexpected_error_is_500_without_a_trace(api: APIClient, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*args: Any, **kwargs: Any) -> list:
        raise RuntimeError("secret internals: SELECT * FROM tasks")

    monkeypatch.setattr(listing, "select_tasks", explode)

    response = api.get("/api/user_a/tasks")

    assert response.status_code == 500
    assert response.json() == {"detail": "Internal server error"}
    assert b"secret" not in response.content and b"Traceback" not in response.content


def test_too_many_requests_is_429_with_retry_after(client_for: Callable[[str], APIClient], new_sub: Callable[[], str],
                                                   settings: Any) -> None:
    settings.RATE_LIMIT = "3/day"  # a day-long window, entered with minutes to spare: never turns mid-test
    start_of_a_fresh_window(DAY)
    sub = new_sub()  # counts outlive the test (the cache is per process): a subject of its own
    api = client_for(sub)

    statuses = [api.get(f"/api/{sub}/tasks").status_code for _ in range(4)]
    throttled = api.get(f"/api/{sub}/tasks")

    assert statuses == [200, 200, 200, 429]
    assert throttled.status_code == 429
    retry_after = int(throttled["Retry-After"])
    assert throttled.json() == {"detail": f"Request was throttled. Expected available in {retry_after} seconds."}
    # Until the window ends, rounded up: the next window is the first that can succeed.
    assert abs(retry_after - seconds_left_in_window(DAY)) <= 2

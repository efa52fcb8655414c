"""User A can never see or change user B's tasks: 403 on B's path, 404 on B's task."""
import json
from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from tasks.models import Task

pytestmark = pytest.mark.django_db

ROUTES = [
    ("GET", "/api/{user}/tasks", None),
    ("POST", "/api/{user}/tasks", {"title": "sneaky"}),
    ("GET", "/api/{user}/tasks/{task}", None),
    ("PUT", "/api/{user}/tasks/{task}", {"title": "sneaky"}),
    ("PATCH", "/api/{user}/tasks/{task}", {"title": "sneaky"}),
    ("DELETE", "/api/{user}/tasks/{task}", None),
    ("PATCH", "/api/{user}/tasks/{task}/complete", None),
]


def snapshot(user_id: str) -> list[dict[str, Any]]:
    return list(Task.objects.for_user(user_id).order_by("id").values())


def attempt(api: APIClient, method: str, path: str, body: Any, user: str, task: Task) -> Any:
    data = None if body is None else json.dumps(body)
    return api.generic(method, path.format(user=user, task=task.id), data=data, content_type="application/json")


def assert_refused_and_nothing_changed(api: APIClient, make_task: Callable, method: str, path: str, body: Any,
                                       user: str, status: int, detail: str) -> None:
    """B's task, reached at `user`'s path: answered `status` + `detail`, and B's rows unchanged."""
    task = make_task(user_id="user_b", title="B's task")
    before = snapshot("user_b")

    response = attempt(api, method, path, body, user=user, task=task)

    assert response.status_code == status
    assert response.json() == {"detail": detail}
    assert snapshot("user_b") == before


@pytest.mark.parametrize("method, path, body", ROUTES)
def test_another_users_path_is_forbidden_and_changes_nothing(api: APIClient, make_task: Callable, method: str,
                                                             path: str, body: Any) -> None:
    assert_refused_and_nothing_changed(api, make_task, method, path, body, "user_b", 403,
                                       "You may only access your own tasks")


@pytest.mark.parametrize("method, path, body", [r for r in ROUTES if "{task}" in r[1]])
def test_another_users_task_under_your_own_path_is_not_found(api: APIClient, make_task: Callable, method: str,
                                                             path: str, body: Any) -> None:
    assert_refused_and_nothing_changed(api, make_task, method, path, body, "user_a", 404, "Task not found")


def test_the_list_shows_only_your_own_tasks(api: APIClient, make_task: Callable) -> None:
    mine = make_task(user_id="user_a", title="mine")
    make_task(user_id="user_b", title="theirs")

    response = api.get("/api/user_a/tasks")

    assert [task["id"] for task in response.json()] == [mine.id]


@pytest.mark.parametrize("path_user", ["USER_A", "user_a ", "user_a%20", "user", "user_a_"])
def test_path_user_must_match_the_subject_exactly(api: APIClient, path_user: str) -> None:
    assert api.get(f"/api/{path_user}/tasks").status_code == 403


def test_created_task_belongs_to_the_token_subject_not_the_body(api: APIClient) -> None:
    response = api.post("/api/user_a/tasks", {"title": "t", "user_id": "user_b"}, format="json")

    assert response.status_code == 201
    assert response.json()["user_id"] == "user_a"
    assert not Task.objects.for_user("user_b").exists()

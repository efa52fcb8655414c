"""One test per contract row: status, body, headers, ordering, slashes, no-op updates."""
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tasks.models import Task

pytestmark = pytest.mark.django_db

RFC3339_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")
# The seed contract's keys, plus the phase V keys (additive: API.md "Planning fields").
TASK_KEYS = {"id", "user_id", "title", "description", "is_completed", "created_at", "updated_at",
             "priority", "due_date", "recurrence_pattern", "recurrence_end_date", "tags"}


def assert_task_shape(task: dict[str, Any]) -> None:
    assert set(task) == TASK_KEYS
    assert isinstance(task["id"], int) and isinstance(task["is_completed"], bool)
    assert RFC3339_Z.match(task["created_at"]) and RFC3339_Z.match(task["updated_at"])


@pytest.mark.parametrize("slash", ["", "/"])
def test_create_returns_201_the_task_and_its_location(api: APIClient, slash: str) -> None:
    response = api.post(f"/api/user_a/tasks{slash}", {"title": "Buy groceries", "description": "Milk"}, format="json")

    task = response.json()
    assert response.status_code == 201
    assert_task_shape(task)
    assert task | {"id": 0, "created_at": "", "updated_at": ""} == {
        "id": 0, "user_id": "user_a", "title": "Buy groceries", "description": "Milk",
        "is_completed": False, "created_at": "", "updated_at": "",
        "priority": "medium", "due_date": None, "recurrence_pattern": None, "recurrence_end_date": None, "tags": []}
    assert task["created_at"] == task["updated_at"]
    assert response.headers["Location"] == f"/api/user_a/tasks/{task['id']}"
    assert Task.objects.for_user("user_a").get().title == "Buy groceries"


def test_create_defaults_and_explicit_completion(api: APIClient) -> None:
    plain = api.post("/api/user_a/tasks", {"title": "t"}, format="json")
    done = api.post("/api/user_a/tasks", {"title": "t", "is_completed": True}, format="json")

    assert (plain.status_code, done.status_code) == (201, 201)
    assert (plain.json()["description"], plain.json()["is_completed"]) == (None, False)
    assert done.json()["is_completed"] is True
    assert sorted(Task.objects.for_user("user_a").values_list("is_completed", flat=True)) == [False, True]


@pytest.mark.parametrize("slash", ["", "/"])
def test_list_is_newest_first_then_highest_id(api: APIClient, make_task: Callable, slash: str) -> None:
    now = timezone.now()
    old = make_task(title="old", created_at=now - timedelta(days=2))
    tie_low = make_task(title="tie-low", created_at=now - timedelta(days=1))
    tie_high = make_task(title="tie-high", created_at=now - timedelta(days=1))
    new = make_task(title="new", created_at=now)

    response = api.get(f"/api/user_a/tasks{slash}")

    assert response.status_code == 200
    assert [t["id"] for t in response.json()] == [new.id, tie_high.id, tie_low.id, old.id]
    for task in response.json():
        assert_task_shape(task)


def test_list_and_detail_render_a_task_identically(api: APIClient) -> None:
    created = api.post("/api/user_a/tasks", {"title": "same", "description": None}, format="json")

    listed = api.get("/api/user_a/tasks")
    detail = api.get(f"/api/user_a/tasks/{created.json()['id']}")

    assert (created.status_code, listed.status_code, detail.status_code) == (201, 200, 200)
    assert listed.content == b"[" + detail.content + b"]" == b"[" + created.content + b"]"


@pytest.mark.parametrize("slash", ["", "/"])
def test_get_one_returns_the_task(api: APIClient, make_task: Callable, slash: str) -> None:
    task = make_task(title="one", description="d")

    response = api.get(f"/api/user_a/tasks/{task.id}{slash}")

    assert response.status_code == 200
    assert response.json()["id"] == task.id and response.json()["title"] == "one"


@pytest.mark.parametrize("task_id", ["424242", "0", "-1", "99999999999999999999", "9223372036854775808",
                                     "9" * 400])
@pytest.mark.parametrize("method", ["GET", "PATCH", "PUT", "DELETE"])
def test_missing_task_is_404_task_not_found(api: APIClient, method: str, task_id: str) -> None:
    response = api.generic(method, f"/api/user_a/tasks/{task_id}", '{"title": "x"}', content_type="application/json")

    assert response.status_code == 404
    assert response.json() == {"detail": "Task not found"}


@pytest.mark.parametrize("slash", ["", "/"])
def test_patch_changes_only_the_given_fields(api: APIClient, make_task: Callable, slash: str) -> None:
    task = make_task(title="before", description="keep me")

    response = api.patch(f"/api/user_a/tasks/{task.id}{slash}", {"title": "  after  "}, format="json")

    body = response.json()
    assert response.status_code == 200
    assert (body["title"], body["description"], body["is_completed"]) == ("after", "keep me", False)
    assert body["updated_at"] > body["created_at"]
    assert Task.objects.get(pk=task.pk).title == "after"


@pytest.mark.parametrize("body", [{}, {"title": "same"}, {"title": "  same "}, {"description": None},
                                  {"is_completed": False}, {"unknown": 1, "id": 5}])
def test_update_that_changes_nothing_leaves_updated_at_alone(api: APIClient, make_task: Callable, body: dict) -> None:
    task = make_task(title="same")
    before = api.get(f"/api/user_a/tasks/{task.id}").json()

    response = api.patch(f"/api/user_a/tasks/{task.id}", body, format="json")

    assert response.status_code == 200
    assert response.json() == before


def test_patch_can_clear_the_description_and_complete(api: APIClient, make_task: Callable) -> None:
    task = make_task(description="text")

    response = api.patch(f"/api/user_a/tasks/{task.id}", {"description": None, "is_completed": True}, format="json")

    assert response.status_code == 200
    assert (response.json()["description"], response.json()["is_completed"]) == (None, True)
    task.refresh_from_db()
    assert (task.description, task.is_completed) == (None, True)


@pytest.mark.parametrize("slash", ["", "/"])
def test_put_replaces_title_and_keeps_omitted_fields(api: APIClient, make_task: Callable, slash: str) -> None:
    task = make_task(title="old", description="kept", is_completed=True)

    response = api.put(f"/api/user_a/tasks/{task.id}{slash}", {"title": "new"}, format="json")

    assert response.status_code == 200
    assert (response.json()["title"], response.json()["description"], response.json()["is_completed"]) == (
        "new", "kept", True)


@pytest.mark.parametrize("slash", ["", "/"])
def test_complete_toggles_back_and_forth(api: APIClient, make_task: Callable, slash: str) -> None:
    task = make_task()

    first = api.patch(f"/api/user_a/tasks/{task.id}/complete{slash}")
    second = api.patch(f"/api/user_a/tasks/{task.id}/complete{slash}")

    assert (first.status_code, second.status_code) == (200, 200)
    assert (first.json()["is_completed"], second.json()["is_completed"]) == (True, False)
    assert second.json()["updated_at"] >= first.json()["updated_at"] > first.json()["created_at"]
    assert Task.objects.get(pk=task.pk).is_completed is False


def test_complete_ignores_any_body(api: APIClient, make_task: Callable) -> None:
    task = make_task()

    response = api.patch(f"/api/user_a/tasks/{task.id}/complete", {"is_completed": False}, format="json")

    assert response.status_code == 200
    assert response.json()["is_completed"] is True
    assert Task.objects.get(pk=task.pk).is_completed is True


@pytest.mark.parametrize("slash", ["", "/"])
def test_delete_is_204_empty_then_gone(api: APIClient, make_task: Callable, slash: str) -> None:
    task = make_task()

    response = api.delete(f"/api/user_a/tasks/{task.id}{slash}")

    assert response.status_code == 204
    assert response.content == b""
    assert not Task.objects.filter(pk=task.pk).exists()
    assert api.delete(f"/api/user_a/tasks/{task.id}").status_code == 404


def test_ids_of_new_tasks_increase(api: APIClient) -> None:
    responses = [api.post("/api/user_a/tasks", {"title": str(i)}, format="json") for i in range(3)]
    ids = [response.json()["id"] for response in responses]

    assert [response.status_code for response in responses] == [201] * 3
    assert ids == sorted(ids) and len(set(ids)) == 3


def test_accept_header_does_not_change_the_answer(api: APIClient) -> None:
    response = api.get("/api/user_a/tasks", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == []

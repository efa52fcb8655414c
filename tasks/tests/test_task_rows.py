"""The single-row routes answer exactly what the serializer would render for the row
as it stands in the database: same bytes, same isolation, same no-op rules."""
import datetime

import pytest
from django.db import connection

from tasks.content import ORJSONRenderer
from tasks.models import Task

pytestmark = pytest.mark.django_db


def moment(value: datetime.datetime | None, kind: str | None) -> str | None:
    """The contract's rendering of a moment, written independently of tasks.sql's."""
    if value is None:
        return None
    value = value.astimezone(datetime.timezone.utc)
    if kind == "date":
        return value.date().isoformat()
    text = value.replace(tzinfo=None).isoformat(timespec="microseconds" if value.microsecond else "seconds")
    return text + ("Z" if kind == "instant" else "")


def as_shown(task: Task) -> dict:
    task.refresh_from_db()
    return {
        **{name: getattr(task, name) for name in ["id", "user_id", "title", "description", "is_completed",
                                                  "created_at", "updated_at", "priority"]},
        "due_date": moment(task.due_date, task.due_date_kind),
        "recurrence_pattern": task.recurrence_pattern,
        "recurrence_end_date": moment(task.recurrence_end_date, task.recurrence_end_date_kind),
        "tags": [{"id": tag.id, "name": tag.name, "color": tag.color} for tag in task.tags.order_by("name", "id")],
    }


def rendered(task: Task) -> bytes:
    return ORJSONRenderer().render(as_shown(task))


def test_get_one_renders_the_row_byte_for_byte(api, make_task):
    task = make_task(description="Milk, eggs \u00e9 \U0001f600 \"quoted\"")

    response = api.get(f"/api/user_a/tasks/{task.pk}/")

    assert response.status_code == 200
    assert response.content == rendered(task)


def test_list_renders_rows_newest_first_byte_for_byte(api, make_task):
    tasks = [make_task(title=f"T{n}", description=None if n % 2 else "d") for n in range(3)]

    response = api.get("/api/user_a/tasks")

    expected = sorted(tasks, key=lambda t: (t.created_at, t.pk), reverse=True)
    assert response.content == ORJSONRenderer().render([as_shown(task) for task in expected])


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_someone_elses_task_is_not_found_and_untouched(client_for, make_task, method):
    task = make_task(user_id="user_b", title="Theirs")

    response = getattr(client_for("user_a"), method)(f"/api/user_a/tasks/{task.pk}", {"title": "Mine"}, format="json")

    assert response.status_code == 404 and response.json() == {"detail": "Task not found"}
    assert Task.objects.filter(pk=task.pk, title="Theirs").exists()


def test_patch_writes_given_fields_and_answers_the_row(api, make_task):
    task = make_task(description="keep me")
    before = Task.objects.get(pk=task.pk)

    response = api.patch(f"/api/user_a/tasks/{task.pk}", {"title": "  Renamed  ", "is_completed": True}, format="json")

    assert response.status_code == 200
    assert response.content == rendered(task)
    assert (task.title, task.description, task.is_completed) == ("Renamed", "keep me", True)
    assert task.updated_at > before.updated_at and task.created_at == before.created_at


@pytest.mark.parametrize("body", [{}, {"title": "A task"}, {"description": None}, {"is_completed": False}],
                         ids=["empty", "same-title", "same-null", "same-bool"])
def test_patch_that_changes_nothing_writes_nothing(api, make_task, body):
    task = make_task()
    before = Task.objects.get(pk=task.pk)
    with connection.cursor() as cursor:
        cursor.execute("SELECT xmin::text FROM tasks WHERE id = %s", [task.pk])
        version = cursor.fetchone()[0]

    response = api.patch(f"/api/user_a/tasks/{task.pk}", body, format="json")

    assert response.status_code == 200 and response.content == rendered(task)
    assert task.updated_at == before.updated_at
    with connection.cursor() as cursor:
        cursor.execute("SELECT xmin::text FROM tasks WHERE id = %s", [task.pk])
        assert cursor.fetchone()[0] == version  # no new row version: nothing was written


def test_put_is_a_partial_update_that_keeps_omitted_fields(api, make_task):
    task = make_task(description="keep")

    untitled = api.put(f"/api/user_a/tasks/{task.pk}", {"priority": "high"}, format="json")
    response = api.put(f"/api/user_a/tasks/{task.pk}", {"title": "New"}, format="json")

    assert untitled.status_code == 200
    assert response.status_code == 200 and response.content == rendered(task)
    assert (task.title, task.description, task.priority) == ("New", "keep", "high")


def test_complete_toggles_and_answers_the_row_as_toggled(api, make_task):
    task = make_task()
    before = Task.objects.get(pk=task.pk)

    first = api.patch(f"/api/user_a/tasks/{task.pk}/complete")
    first_body = rendered(task)
    second = api.patch(f"/api/user_a/tasks/{task.pk}/complete/")

    assert first.status_code == 200 and first.content == first_body and first.json()["is_completed"] is True
    assert second.status_code == 200 and second.content == rendered(task) and task.is_completed is False
    assert task.updated_at > before.updated_at


@pytest.mark.parametrize("task_id", ["0", "99999999999999999999", "123456789"])
def test_rows_that_cannot_exist_are_not_found_on_every_route(api, task_id):
    for method, path in [("get", ""), ("patch", ""), ("delete", ""), ("patch", "/complete")]:
        response = getattr(api, method)(f"/api/user_a/tasks/{task_id}{path}", {"title": "x"}, format="json")
        assert response.status_code == 404 and response.json() == {"detail": "Task not found"}, (method, path)


def test_delete_removes_the_row_once(api, make_task):
    task = make_task()

    first = api.delete(f"/api/user_a/tasks/{task.pk}")
    second = api.delete(f"/api/user_a/tasks/{task.pk}")

    assert first.status_code == 204 and first.content == b""
    assert second.status_code == 404
    assert not Task.objects.filter(pk=task.pk).exists()


@pytest.mark.parametrize("body", [{"title": "  New  "}, {"title": "New", "description": "d", "is_completed": True},
                                  {"title": "New", "description": None, "id": 5, "user_id": "x", "created_at": "2000-01-01T00:00:00Z"}],
                         ids=["defaults", "all-fields", "read-only-fields-ignored"])
def test_create_answers_the_stored_row_with_its_location(api, body):
    response = api.post("/api/user_a/tasks/", body, format="json")

    assert response.status_code == 201
    task = Task.objects.get(pk=response.json()["id"])
    assert response.content == rendered(task)
    assert response["Location"] == f"/api/user_a/tasks/{task.pk}"
    assert (task.user_id, task.title) == ("user_a", "New")
    assert task.description == body.get("description") and task.is_completed is body.get("is_completed", False)
    assert task.created_at == task.updated_at and task.created_at.year > 2000


@pytest.mark.parametrize("fields", [
    pytest.param({"title": "t", "user_id": "user_b"}, id="owner"),
    pytest.param({"title": "t", "change_seq": 0}, id="change-number"),
    pytest.param({"title": "t", "next_occurrence_id": 1}, id="successor-claim"),
    pytest.param({"title": "t", "title = 'x', user_id": "y"}, id="an-identifier-that-is-sql"),
])
def test_insert_and_change_write_only_the_writable_fields(make_task, fields):
    # The column names become SQL identifiers: only WRITABLE_FIELDS may ever get there.
    from tasks.rows import change_task, insert_task

    task = make_task(user_id="user_a", title="kept")
    with pytest.raises(ValueError, match="Not writable"):
        insert_task("user_a", fields)
    with pytest.raises(ValueError, match="Not writable"):
        change_task("user_a", task.id, fields)

    assert list(Task.objects.values_list("user_id", "title")) == [("user_a", "kept")]

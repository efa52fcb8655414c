"""The phase V task fields: defaults, moments shown back as given, tags set by name,
validation in Pydantic's words, and the same task on every route."""
from typing import Any

import pytest
from django.db import connection

from tasks.models import Tag, Task

pytestmark = pytest.mark.django_db

DEFAULTS = {"priority": "medium", "due_date": None, "recurrence_pattern": None, "recurrence_end_date": None, "tags": []}


def test_a_first_generation_create_gets_the_defaults(api):
    response = api.post("/api/user_a/tasks", {"title": "Plain"}, format="json")

    assert response.status_code == 201
    assert {key: response.json()[key] for key in DEFAULTS} == DEFAULTS
    assert list(response.json())[:7] == ["id", "user_id", "title", "description", "is_completed", "created_at", "updated_at"]


@pytest.mark.parametrize("given, shown, kind", [
    ("2026-03-05T09:30", "2026-03-05T09:30:00", "floating"),
    ("2026-03-05T09:30:07", "2026-03-05T09:30:07", "floating"),
    ("2026-03-05T09:30:07.123456", "2026-03-05T09:30:07.123456", "floating"),
    ("2026-03-05T09:30:07.5", "2026-03-05T09:30:07.500000", "floating"),
    ("2026-03-05T09:30:00Z", "2026-03-05T09:30:00Z", "instant"),
    ("2026-03-05T09:30:00+02:00", "2026-03-05T07:30:00Z", "instant"),
    ("2026-03-05T23:30:00-05:00", "2026-03-06T04:30:00Z", "instant"),
    ("2026-03-05T09:30:00.25z", "2026-03-05T09:30:00.250000Z", "instant"),
    ("2026-03-05", "2026-03-05", "date"),
    ("", None, None),
    (None, None, None),
])
@pytest.mark.parametrize("field", ["due_date", "recurrence_end_date"])
def test_moments_come_back_as_given(api, given, shown, kind, field):
    created = api.post("/api/user_a/tasks", {"title": "T", field: given}, format="json")
    fetched = api.get(f"/api/user_a/tasks/{created.json()['id']}")

    assert created.status_code == 201 and created.json()[field] == shown and fetched.json()[field] == shown
    task = Task.objects.get(pk=created.json()["id"])
    assert getattr(task, f"{field}_kind") == kind


BAD = [
    ({"priority": "urgent"}, ["priority"], "literal_error", "Input should be 'low', 'medium' or 'high'"),
    ({"priority": "HIGH"}, ["priority"], "literal_error", "Input should be 'low', 'medium' or 'high'"),
    ({"priority": ""}, ["priority"], "literal_error", "Input should be 'low', 'medium' or 'high'"),
    ({"priority": 1}, ["priority"], "string_type", "Input should be a valid string"),
    ({"priority": None}, ["priority"], "string_type", "Input should be a valid string"),
    ({"recurrence_pattern": "yearly"}, ["recurrence_pattern"], "literal_error",
     "Input should be 'daily', 'weekly' or 'monthly'"),
    ({"recurrence_pattern": 7}, ["recurrence_pattern"], "string_type", "Input should be a valid string"),
    ({"due_date": "tomorrow"}, ["due_date"], "datetime_from_date_parsing", None),
    ({"due_date": "2026-02-30"}, ["due_date"], "datetime_from_date_parsing", None),
    ({"due_date": "2026-02-03T25:00"}, ["due_date"], "datetime_from_date_parsing", None),
    ({"due_date": "2026-02-03T10:00+24:00"}, ["due_date"], "datetime_from_date_parsing", None),
    ({"due_date": "2026-02-03 10:00"}, ["due_date"], "datetime_from_date_parsing", None),
    ({"due_date": 1767225600}, ["due_date"], "datetime_type", "Input should be a valid datetime"),
    ({"recurrence_end_date": True}, ["recurrence_end_date"], "datetime_type", "Input should be a valid datetime"),
    ({"tags": "home"}, ["tags"], "list_type", "Input should be a valid list"),
    ({"tags": None}, ["tags"], "list_type", "Input should be a valid list"),
    ({"tags": ["ok", 3]}, ["tags", 1], "string_type", "Input should be a valid string"),
    ({"tags": ["  "]}, ["tags", 0], "string_too_short", "String should have at least 1 character"),
    ({"tags": ["x" * 51]}, ["tags", 0], "string_too_long", "String should have at most 50 characters"),
    ({"tags": ["a\x00"]}, ["tags", 0], "value_error", "Value error, String should not contain NUL characters"),
    ({"tags": [f"t{n}" for n in range(51)]}, ["tags"], "too_long",
     "List should have at most 50 items after validation, not 51"),
]


@pytest.mark.parametrize("body, loc, kind, message", BAD)
@pytest.mark.parametrize("method", ["POST", "PATCH", "PUT"])
def test_bad_planning_fields_are_422_and_write_nothing(api, make_task, body, loc, kind, message, method):
    task = make_task(title="Keep")
    path = "/api/user_a/tasks" if method == "POST" else f"/api/user_a/tasks/{task.pk}"

    response = api.generic(method, path, data=__import__("json").dumps({"title": "New", **body}),
                           content_type="application/json")

    assert response.status_code == 422
    [item] = response.json()["detail"]
    assert item["loc"] == ["body", *loc] and item["type"] == kind
    assert message is None or item["msg"] == message
    assert item["msg"].startswith("Input should be a valid datetime or date, ") or message is not None
    assert list(Task.objects.for_user("user_a").values_list("title", flat=True)) == ["Keep"]
    assert not Tag.objects.filter(user_id="user_a").exists()


def test_every_bad_field_is_reported_at_once(api):
    response = api.post("/api/user_a/tasks", {"title": "", "priority": 2, "due_date": "x", "tags": ["", "ok", 5]},
                        format="json")

    assert [item["loc"] for item in response.json()["detail"]] == [
        ["body", "title"], ["body", "priority"], ["body", "due_date"], ["body", "tags", 0], ["body", "tags", 2]]


def test_tags_on_create_are_created_trimmed_once_and_shown_by_name(api):
    response = api.post("/api/user_a/tasks", {"title": "T", "tags": ["work", " home ", "home", "Work"]}, format="json")

    assert [tag["name"] for tag in response.json()["tags"]] == ["Work", "home", "work"]
    assert sorted(Tag.objects.filter(user_id="user_a").values_list("name", flat=True)) == ["Work", "home", "work"]
    assert api.get(f"/api/user_a/tasks/{response.json()['id']}").json() == response.json()


def test_patch_replaces_tags_reuses_existing_ones_and_changes_updated_at(api):
    created = api.post("/api/user_a/tasks", {"title": "T", "tags": ["a", "b"]}, format="json").json()
    a_id = created["tags"][0]["id"]

    replaced = api.patch(f"/api/user_a/tasks/{created['id']}", {"tags": ["a", "c"]}, format="json").json()
    same = api.patch(f"/api/user_a/tasks/{created['id']}", {"tags": ["c", "a"]}, format="json").json()
    cleared = api.put(f"/api/user_a/tasks/{created['id']}", {"tags": []}, format="json").json()

    assert [(t["id"] == a_id, t["name"]) for t in replaced["tags"]] == [(True, "a"), (False, "c")]
    assert replaced["updated_at"] > created["updated_at"]
    assert same == replaced  # the same set: nothing written, updated_at unchanged
    assert cleared["tags"] == [] and cleared["updated_at"] > replaced["updated_at"]
    assert Tag.objects.filter(user_id="user_a").count() == 3  # tags outlive their tasks


def test_tags_of_one_user_are_never_another_users(client_for):
    theirs = client_for("user_b").post("/api/user_b/tasks", {"title": "T", "tags": ["home"]}, format="json").json()
    mine = client_for("user_a").post("/api/user_a/tasks", {"title": "T", "tags": ["home"]}, format="json").json()

    assert theirs["tags"][0]["id"] != mine["tags"][0]["id"]
    assert Tag.objects.filter(name="home").count() == 2


def test_patch_of_someone_elses_task_with_tags_is_404_and_creates_no_tag(client_for):
    task = Task.objects.create(user_id="user_b", title="Theirs")

    response = client_for("user_a").patch(f"/api/user_a/tasks/{task.pk}", {"tags": ["x"]}, format="json")

    assert response.status_code == 404 and response.json() == {"detail": "Task not found"}
    assert not Tag.objects.exists()


def test_deleting_a_task_deletes_its_links_in_the_database(api):
    created = api.post("/api/user_a/tasks", {"title": "T", "tags": ["a"]}, format="json").json()

    assert api.delete(f"/api/user_a/tasks/{created['id']}").status_code == 204
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM task_tags WHERE task_id = %s", [created["id"]])
        assert cursor.fetchone()[0] == 0


@pytest.mark.parametrize("constraint_sql", [
    "UPDATE tasks SET priority = 'urgent' WHERE user_id = 'user_a'",
    "UPDATE tasks SET recurrence_pattern = 'yearly' WHERE user_id = 'user_a'",
    "UPDATE tasks SET due_date = now() WHERE user_id = 'user_a'",
    "INSERT INTO tags (user_id, name) VALUES ('user_a', '')",
    "INSERT INTO tags (user_id, name, color) VALUES ('user_a', 'x', 'red')",
    "INSERT INTO tags (user_id, name) VALUES ('user_a', 'dup'), ('user_a', 'dup')",
])
def test_the_database_refuses_what_the_api_refuses(make_task, constraint_sql):
    from django.db import IntegrityError, transaction

    make_task()
    with pytest.raises(IntegrityError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(constraint_sql)


def test_a_list_of_many_tasks_with_tags_is_one_query(api, django_assert_num_queries):
    from tasks.owners import record_owner

    record_owner({"sub": "user_a"})
    for n in range(60):
        api.post("/api/user_a/tasks", {"title": f"T{n}", "tags": [f"t{n % 4}", "all"][: 1 + n % 2]}, format="json")

    with django_assert_num_queries(1):
        response = api.get("/api/user_a/tasks?sort_by=priority&tags=all")
    assert response.status_code == 200 and len(response.json()) == 30

    with django_assert_num_queries(1):
        response = api.get("/api/user_a/tasks")
    body: list[dict[str, Any]] = response.json()
    assert len(body) == 60 and all(task["tags"] for task in body)

"""SQL per request: one statement for each task route, none for authentication.

Counted in-process (pytest-django wraps each test in a transaction, and the routes open
no transaction of their own, so what is counted is exactly what the route sends)."""
import pytest

from tasks.models import Task
from tasks.owners import record_owner

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def owners_already_recorded() -> None:
    # A subject's first token in a process writes its owner row once (tests/test_owners.py
    # counts that); these tests count the steady state, whatever ran before them.
    for sub in ("user_a", "user_b"):
        record_owner({"sub": sub})


def test_get_one_is_one_select(api, make_task, django_assert_num_queries):
    task = make_task()

    with django_assert_num_queries(1) as queries:
        assert api.get(f"/api/user_a/tasks/{task.pk}").status_code == 200
    assert queries.captured_queries[0]["sql"].startswith("SELECT")


def test_list_is_one_select_however_many_tasks(api, make_task, django_assert_num_queries):
    for n in range(50):
        make_task(title=f"Task {n}")

    with django_assert_num_queries(1) as queries:
        response = api.get("/api/user_a/tasks")
    assert response.status_code == 200 and len(response.json()) == 50
    assert queries.captured_queries[0]["sql"].startswith("SELECT")


def test_create_is_one_insert(api, django_assert_num_queries):
    with django_assert_num_queries(1) as queries:
        assert api.post("/api/user_a/tasks", {"title": "New"}, format="json").status_code == 201
    assert queries.captured_queries[0]["sql"].startswith("INSERT")


@pytest.mark.parametrize("body", [{"title": "Renamed"}, {"title": "A task"}], ids=["change", "same-value"])
def test_patch_is_one_statement(api, make_task, django_assert_num_queries, body):
    task = make_task()

    with django_assert_num_queries(1):
        assert api.patch(f"/api/user_a/tasks/{task.pk}", body, format="json").status_code == 200


def test_empty_patch_is_one_select(api, make_task, django_assert_num_queries):
    task = make_task()

    with django_assert_num_queries(1) as queries:
        assert api.patch(f"/api/user_a/tasks/{task.pk}", {}, format="json").status_code == 200
    assert queries.captured_queries[0]["sql"].startswith("SELECT")


@pytest.mark.parametrize("recurring", [None, "daily"])
def test_complete_is_one_update_even_when_it_creates_the_next_occurrence(api, make_task, django_assert_num_queries,
                                                                        recurring):
    task = make_task(recurrence_pattern=recurring)

    with django_assert_num_queries(1) as queries:
        assert api.patch(f"/api/user_a/tasks/{task.pk}/complete").status_code == 200
    assert queries.captured_queries[0]["sql"].startswith("WITH done AS (UPDATE")
    assert Task.objects.filter(user_id="user_a").count() == (2 if recurring else 1)


def test_delete_is_one_delete(api, make_task, django_assert_num_queries):
    task = make_task()

    with django_assert_num_queries(1) as queries:
        assert api.delete(f"/api/user_a/tasks/{task.pk}").status_code == 204
    assert queries.captured_queries[0]["sql"].startswith("DELETE")


@pytest.mark.parametrize("header", ["", "Bearer not-a-jwt", "Basic abc"])
def test_refused_authentication_sends_no_query(client, header, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert client.get("/api/user_a/tasks", HTTP_AUTHORIZATION=header).status_code == 401


def test_wrong_owner_is_refused_before_any_query(client_for, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert client_for("user_b").get("/api/user_a/tasks/1").status_code == 403

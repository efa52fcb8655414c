"""The owner directory: filled from verified tokens, without a write on the hot path."""
from collections.abc import Callable, Iterator

import pytest
from django.db import connection
from rest_framework.test import APIClient

from tasks import owners
from tasks.models import Owner, Task

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_memory() -> Iterator[None]:
    # The memory outlives the test's rolled-back transaction: start and end empty.
    owners.forget_owner()
    yield
    owners.forget_owner()


@pytest.fixture
def client_with(make_token: Callable[..., str]) -> Callable[..., APIClient]:
    def make(sub: str, **claims: str) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token(sub, **claims)}")
        return client

    return make


def test_first_request_records_the_owner_from_the_claims(client_with, new_sub):
    sub = new_sub()

    response = client_with(sub, email="ada@example.com", name="Ada").get(f"/api/{sub}/tasks")

    assert response.status_code == 200 and response.json() == []
    owner = Owner.objects.get(sub=sub)
    assert (owner.email, owner.name) == ("ada@example.com", "Ada")
    assert owner.first_seen == owner.last_seen


@pytest.mark.parametrize("path", ["/api/{sub}/tasks", "/api/{sub}/tasks/{task_id}"])
def test_second_request_with_same_claims_writes_nothing_and_runs_one_select(
    client_with, new_sub, django_assert_num_queries, path
):
    sub = new_sub()
    task = Task.objects.create(user_id=sub, title="Milk")
    client = client_with(sub, email="ada@example.com", name="Ada")
    assert client.get(path.format(sub=sub, task_id=task.pk)).status_code == 200

    with django_assert_num_queries(1) as captured:
        response = client.get(path.format(sub=sub, task_id=task.pk))

    assert response.status_code == 200
    assert captured.captured_queries[0]["sql"].startswith("SELECT")


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        pytest.param({"email": "a@x.org"}, {"email": "b@x.org"}, ("b@x.org", ""), id="email-changed"),
        pytest.param({"name": "Ada"}, {"name": "Ada L."}, ("", "Ada L."), id="name-changed"),
        pytest.param({"email": "a@x.org", "name": "Ada"}, {}, ("", ""), id="claims-dropped"),
    ],
)
def test_changed_claims_are_written_again(client_with, new_sub, first, second, expected):
    sub = new_sub()
    client_with(sub, **first).get(f"/api/{sub}/tasks")

    response = client_with(sub, **second).get(f"/api/{sub}/tasks")

    assert response.status_code == 200
    owner = Owner.objects.get(sub=sub)
    assert (owner.email, owner.name) == expected
    assert owner.last_seen > owner.first_seen


def test_a_day_later_the_same_claims_are_written_again(client_with, new_sub, monkeypatch):
    sub = new_sub()
    client = client_with(sub, email="ada@example.com")
    client.get(f"/api/{sub}/tasks")
    first = Owner.objects.get(sub=sub).last_seen
    now = owners.time.monotonic()
    monkeypatch.setattr(owners.time, "monotonic", lambda: now + owners.REFRESH_SECONDS + 1)

    assert client.get(f"/api/{sub}/tasks").status_code == 200

    assert Owner.objects.get(sub=sub).last_seen > first


def test_memory_is_bounded(monkeypatch):
    monkeypatch.setattr(owners, "MAX_REMEMBERED", 3)
    for index in range(5):
        owners.record_owner({"sub": f"sub-{index}"})

    assert list(owners._written) == ["sub-2", "sub-3", "sub-4"]
    assert Owner.objects.filter(sub__startswith="sub-").count() == 5


def test_database_error_while_recording_never_fails_the_request(client_with, new_sub, caplog):
    sub = new_sub()
    table, away = Owner._meta.db_table, f"{Owner._meta.db_table}_away"
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} RENAME TO {away}")
    try:
        response = client_with(sub, email="ada@example.com").get(f"/api/{sub}/tasks")
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {away} RENAME TO {table}")

    assert response.status_code == 200 and response.json() == []
    assert "Could not record the owner directory entry" in caplog.text
    assert not Owner.objects.filter(sub=sub).exists()
    assert sub not in owners._written


def test_claims_of_the_wrong_type_are_stored_empty_and_long_ones_cut(new_sub):
    sub = new_sub()

    owners.record_owner({"sub": sub, "email": ["a@x.org"], "name": "n" * 300})

    owner = Owner.objects.get(sub=sub)
    assert (owner.email, owner.name) == ("", "n" * 255)


def test_a_refused_path_writes_no_owner_and_sends_no_query(client_with, new_sub, django_assert_num_queries):
    sub = new_sub()

    with django_assert_num_queries(0):
        response = client_with(sub, email="eve@example.com").get("/api/someone_else/tasks")

    assert response.status_code == 403
    assert response.json() == {"detail": "You may only access your own tasks"}
    assert not Owner.objects.filter(sub=sub).exists()
    assert sub not in owners._written


def test_a_throttled_request_writes_no_owner(client_with, new_sub, settings, django_assert_num_queries):
    settings.RATE_LIMIT = "0/day"  # every request is over the limit
    sub = new_sub()

    with django_assert_num_queries(0):
        response = client_with(sub, email="ada@example.com").get(f"/api/{sub}/tasks")

    assert response.status_code == 429
    assert not Owner.objects.filter(sub=sub).exists()


def test_an_allowed_first_request_writes_the_owner_after_the_checks_then_reads(
    client_with, new_sub, django_assert_num_queries
):
    sub = new_sub()

    with django_assert_num_queries(4) as captured:
        response = client_with(sub, email="ada@example.com").get(f"/api/{sub}/tasks")

    assert response.status_code == 200 and response.json() == []
    statements = [query["sql"].split()[0] for query in captured.captured_queries]
    # The upsert (in its savepoint), then the route's one SELECT.
    assert statements == ["SAVEPOINT", "INSERT", "RELEASE", "SELECT"]
    assert f'INTO "{Owner._meta.db_table}"' in captured.captured_queries[1]["sql"]
    assert Owner.objects.get(sub=sub).email == "ada@example.com"

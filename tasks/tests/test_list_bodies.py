"""Whole lists kept rendered under their ETag (tasks.list_bodies): a repeated list is the
kept body after one statement (the owner's version), and after any change of any kind
the body is the one the list statement renders, never the kept one."""
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from tasks.list_bodies import ListBodies, list_bodies
from tasks.models import Task

pytestmark = pytest.mark.django_db

LIST = "/api/user_a/tasks"


def fresh(api: APIClient, path: str = LIST) -> Any:
    """The list as the list statement renders it now, with nothing kept."""
    list_bodies.clear()
    response = api.get(path)
    return response.content, response["ETag"]


@pytest.fixture
def two_tasks(api: APIClient) -> list[dict]:
    tag = api.post("/api/user_a/tags", {"name": "home"}, format="json").json()
    first = api.post(LIST, {"title": "First", "priority": "high"}, format="json").json()
    second = api.post(LIST, {"title": "Second"}, format="json").json()
    api.post(f"{LIST}/{first['id']}/tags", {"tag_id": tag["id"]}, format="json")
    return [first, second, tag]


@pytest.mark.parametrize("path", [LIST, f"{LIST}?priority=high", f"{LIST}?sort_by=title&order=asc&tags=home"])
def test_a_repeated_list_is_the_kept_body_after_one_statement(api, two_tasks, django_assert_num_queries, path):
    first = api.get(path)
    with django_assert_num_queries(1) as queries:
        again = api.get(path)

    assert (again.status_code, again.content, again["ETag"]) == (200, first.content, first["ETag"])
    assert "ORDER BY" not in queries.captured_queries[0]["sql"]  # the version alone, no row read
    assert (again.content, again["ETag"]) == fresh(api, path)


# Every way a list can change: through the API, the ORM (the admin's path) and SQL.
CHANGES: list[tuple[str, Callable[[APIClient, list[dict]], Any]]] = [
    ("create", lambda api, t: api.post(LIST, {"title": "Third"}, format="json")),
    ("patch", lambda api, t: api.patch(f"{LIST}/{t[1]['id']}", {"title": "Renamed"}, format="json")),
    ("put", lambda api, t: api.put(f"{LIST}/{t[1]['id']}", {"title": "Put"}, format="json")),
    ("complete", lambda api, t: api.patch(f"{LIST}/{t[1]['id']}/complete")),
    ("delete", lambda api, t: api.delete(f"{LIST}/{t[1]['id']}")),
    ("tag-added", lambda api, t: api.post(f"{LIST}/{t[1]['id']}/tags", {"tag_id": t[2]["id"]}, format="json")),
    ("tag-removed", lambda api, t: api.delete(f"{LIST}/{t[0]['id']}/tags/{t[2]['id']}")),
    ("tag-deleted", lambda api, t: api.delete(f"/api/user_a/tags/{t[2]['id']}")),
    ("orm-update", lambda api, t: Task.objects.filter(pk=t[0]["id"]).update(description="by the admin")),
    ("orm-delete", lambda api, t: Task.objects.filter(pk=t[0]["id"]).delete()),
    ("everything-deleted", lambda api, t: Task.objects.filter(user_id="user_a").delete()),
]


@pytest.mark.parametrize("change", [c[1] for c in CHANGES], ids=[c[0] for c in CHANGES])
@pytest.mark.parametrize("path", [LIST, f"{LIST}?is_completed=false"])
def test_after_any_change_the_list_is_read_again(api, two_tasks, change, path):
    before = api.get(path)
    change(api, two_tasks)
    after = api.get(path)

    assert (after.content, after["ETag"]) == fresh(api, path)
    assert after["ETag"] != before["ETag"] and after.content != before.content


def test_another_users_change_keeps_the_body(api, client_for, two_tasks, django_assert_num_queries):
    first = api.get(LIST)
    client_for("user_b").post("/api/user_b/tasks", {"title": "Theirs"}, format="json")
    with django_assert_num_queries(1):
        assert api.get(LIST).content == first.content


def test_pages_are_not_kept(api, two_tasks):
    api.get(f"{LIST}?limit=1")
    api.get(LIST + "?limit=1&priority=high")
    assert list_bodies.get(("user_a", settings.TASK_LIST_FORMAT, (("limit", ("1",)),))) is None


def test_if_none_match_still_answers_304_and_the_object_shape_is_kept_too(api, two_tasks, settings):
    settings.TASK_LIST_FORMAT = "object"
    first = api.get(LIST)
    again = api.get(LIST)
    revalidated = api.get(LIST, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.json() == first.json() and first.json()["count"] == 2
    assert (revalidated.status_code, revalidated.content) == (304, b"")


def test_nothing_is_kept_with_a_limit_of_zero(api, two_tasks, settings, django_assert_num_queries):
    settings.LIST_CACHE_MB = 0
    api.get(LIST)
    with django_assert_num_queries(1) as queries:
        api.get(LIST)
    assert "ORDER BY" in queries.captured_queries[0]["sql"]


def test_bytes_are_bounded_least_recently_used_out_first(settings):
    settings.LIST_CACHE_MB = 1
    bodies, third = ListBodies(), 400 * 1024
    for key in ("a", "b"):
        bodies.put((key,), f'"{key}"', b"x" * third)
    bodies.get(("a",))  # now b is the least recently used
    bodies.put(("c",), '"c"', b"x" * third)
    bodies.put(("too big",), '"big"', b"x" * (1024 * 1024 + 1))

    assert [key for key in ("a", "b", "c", "too big") if bodies.get((key,))] == ["a", "c"]
    bodies.put(("a",), '"a2"', b"y")
    assert bodies.get(("a",)) == ('"a2"', b"y")


def test_each_query_keeps_its_own_body(api, two_tasks, django_assert_num_queries):
    plain, high = api.get(LIST), api.get(f"{LIST}?priority=high")
    with django_assert_num_queries(2):
        assert api.get(LIST).content == plain.content
        assert api.get(f"{LIST}?priority=high").content == high.content

"""GET /api/{user_id}/changes: the full answer, changes since a token, tombstones, limits,
tokens that are not ours, and the retention commands."""
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models.functions import Now
from rest_framework.test import APIClient

from tasks.models import Task, TaskSyncState, TaskTombstone
from tasks.sync import issue_token
from tasks.writes import set_completion

pytestmark = pytest.mark.django_db

EXPIRED = {"detail": "Sync token expired; start over without since"}


def changes(api: APIClient, user: str = "user_a", **params: str) -> dict:
    response = api.get(f"/api/{user}/changes", params)
    assert response.status_code == 200, response.content
    return response.json()


def test_without_since_every_task_as_get_shows_it(api, make_task):
    tasks = [make_task(title=f"T{n}") for n in range(3)]
    make_task(user_id="user_b", title="Theirs")

    body = changes(api)

    assert body["more"] is False and isinstance(body["next"], str)
    assert body["changes"] == [api.get(f"/api/user_a/tasks/{t.pk}").json() for t in tasks]


def test_since_gives_changes_in_order_with_tombstones_and_nothing_twice(api, make_task):
    kept, edited, deleted = make_task(title="kept"), make_task(title="edited"), make_task(title="deleted")
    token = changes(api)["next"]

    api.patch(f"/api/user_a/tasks/{edited.pk}", {"title": "edited!"}, format="json")
    api.delete(f"/api/user_a/tasks/{deleted.pk}")
    created = api.post("/api/user_a/tasks", {"title": "new"}, format="json").json()
    body = changes(api, since=token)

    assert body["changes"] == [api.get(f"/api/user_a/tasks/{edited.pk}").json(), {"id": deleted.pk, "deleted": True},
                               created]
    assert changes(api, since=body["next"]) == {"changes": [], "next": body["next"], "more": False}
    assert kept.pk not in [c["id"] for c in body["changes"]]


def test_limit_cuts_with_more_and_next_continues(api, make_task):
    ids = [make_task(title=f"T{n}").pk for n in range(5)]

    seen, token, pages = [], None, 0
    while True:
        body = changes(api, limit="2", **({"since": token} if token else {}))
        seen += [c["id"] for c in body["changes"]]
        token, pages = body["next"], pages + 1
        if not body["more"]:
            break
    assert seen == ids and pages == 3


@pytest.mark.parametrize(
    ("limit", "type_"),
    [("0", "greater_than_equal"), ("1001", "less_than_equal"), ("x", "int_parsing"), ("-1", "int_parsing"), ("", "int_parsing"),
     # One grammar with the list's limit (tasks.params).
     ("+5", "int_parsing"), (" 5", "int_parsing"), ("\uff15", "int_parsing"), ("9" * 5000, "less_than_equal")],
)
def test_bad_limit_is_422_at_query_limit(api, limit, type_):
    response = api.get("/api/user_a/changes", {"limit": limit})

    assert response.status_code == 422
    assert [(e["loc"], e["type"]) for e in response.json()["detail"]] == [(["query", "limit"], type_)]


@pytest.mark.parametrize("since", ["", "not a token!", "AAAA", "Ag" + "A" * 40])
def test_malformed_token_is_422_at_query_since(api, since):
    response = api.get("/api/user_a/changes", {"since": since})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "since"]


def test_another_users_or_a_forged_token_is_410(api, client_for, make_task):
    make_task()
    token = changes(api)["next"]
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")

    theirs = client_for("user_b").get("/api/user_b/changes", {"since": token})
    mine_forged = api.get("/api/user_a/changes", {"since": forged})

    assert (theirs.status_code, theirs.json()) == (410, EXPIRED)
    assert (mine_forged.status_code, mine_forged.json()) == (410, EXPIRED)


def test_purge_expired_raises_the_horizon_so_older_tokens_get_410(api, make_task, settings):
    settings.TOMBSTONE_DAYS = 30
    old, young = make_task(title="old"), make_task(title="young")
    before = changes(api)["next"]
    api.delete(f"/api/user_a/tasks/{old.pk}")
    between = changes(api, since=before)["next"]
    api.delete(f"/api/user_a/tasks/{young.pk}")
    TaskTombstone.objects.filter(task_id=old.pk).update(deleted_at=Now() - timedelta(days=31))
    out = StringIO()

    call_command("purge_expired", stdout=out)

    assert "Purged 1 tombstone(s)" in out.getvalue()
    assert list(TaskTombstone.objects.filter(user_id="user_a").values_list("task_id", flat=True)) == [young.pk]
    assert (api.get("/api/user_a/changes", {"since": before}).json()) == EXPIRED
    assert changes(api, since=between)["changes"] == [{"id": young.pk, "deleted": True}]
    call_command("purge_expired", stdout=out)  # again: nothing more, nothing breaks
    assert "Purged 0 tombstone(s)" in out.getvalue()


def test_purge_user_removes_tombstones_and_expires_their_tokens(api, make_task):
    make_task(), make_task()
    token = changes(api)["next"]
    api.delete(f"/api/user_a/tasks/{Task.objects.for_user('user_a').first().pk}")

    call_command("purge_user", "user_a", "--yes", stdout=StringIO())

    assert not Task.objects.for_user("user_a").exists() and not TaskTombstone.objects.filter(user_id="user_a").exists()
    assert api.get("/api/user_a/changes", {"since": token}).json() == EXPIRED
    fresh = changes(api)
    created = api.post("/api/user_a/tasks", {"title": "again"}, format="json").json()
    assert changes(api, since=fresh["next"])["changes"] == [created]
    assert TaskSyncState.objects.filter(user_id="user_a").count() == 1  # only the horizon


def test_every_write_path_is_numbered_even_raw_sql(api, make_task):
    task = make_task()
    token = changes(api)["next"]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE tasks SET title = 'raw' WHERE id = %s", [task.pk])
        cursor.execute("UPDATE tasks SET title = 'raw' WHERE id = %s", [task.pk])  # no change: no number
        cursor.execute("INSERT INTO tasks (user_id, title) VALUES ('user_a', 'raw insert') RETURNING id")
        inserted = cursor.fetchone()[0]
        cursor.execute("DELETE FROM tasks WHERE id = %s", [task.pk])

    assert [c["id"] for c in changes(api, since=token)["changes"]] == [inserted, task.pk]


def test_admin_bulk_completion_is_numbered(api, make_task):
    mine, theirs = make_task(), make_task(user_id="user_b")
    token = changes(api)["next"]

    assert sorted(set_completion(Task.objects.all(), True)) == sorted([mine.pk, theirs.pk])

    assert [c["id"] for c in changes(api, since=token)["changes"]] == [mine.pk]


def test_a_token_from_before_any_change_sees_everything_after(api):
    token = changes(api)["next"]
    created = api.post("/api/user_a/tasks", {"title": "first"}, format="json").json()

    assert changes(api, since=token)["changes"] == [created]


def test_tokens_are_signed_with_the_secret_key_and_the_user(api, settings):
    token = issue_token("user_a", 0)
    assert token != issue_token("user_b", 0)
    settings.SECRET_KEY = "another-secret-key-0123456789"

    assert api.get("/api/user_a/changes", {"since": token}).json() == EXPIRED

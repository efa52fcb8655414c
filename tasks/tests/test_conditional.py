"""ETag, If-None-Match and If-Match (RFC 9110) on the task routes: tags, 304, 412."""
from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from tasks.conditional import parse_tags
from tasks.models import Task

pytestmark = pytest.mark.django_db


@pytest.fixture
def task(api: APIClient) -> dict:
    response = api.post("/api/user_a/tasks", {"title": "Versioned", "description": "d"}, format="json")
    return {**response.json(), "etag": response.headers["ETag"]}


def detail(task: dict) -> str:
    return f"/api/user_a/tasks/{task['id']}"


def test_every_one_task_response_has_a_strong_etag_that_moves_with_each_change(api, task):
    got = api.get(detail(task))
    patched = api.patch(detail(task), {"title": "New"}, format="json")
    put = api.put(detail(task), {"title": "Newer"}, format="json")
    completed = api.patch(detail(task) + "/complete")
    head = api.head(detail(task))

    tags = [task["etag"], patched["ETag"], put["ETag"], completed["ETag"]]
    assert got["ETag"] == task["etag"] and not task["etag"].startswith("W/")
    assert len(set(tags)) == 4
    assert head.status_code == 200 and head["ETag"] == completed["ETag"] == api.get(detail(task))["ETag"]


def test_a_no_op_patch_keeps_the_etag(api, task):
    assert api.patch(detail(task), {"title": "Versioned"}, format="json")["ETag"] == task["etag"]
    assert api.patch(detail(task), {}, format="json")["ETag"] == task["etag"]


def test_a_change_by_another_path_changes_the_etag(api, task):
    Task.objects.filter(pk=task["id"]).update(description="changed in the admin")
    assert api.get(detail(task))["ETag"] != task["etag"]


@pytest.mark.parametrize(
    ("header", "status"),
    [
        pytest.param("{etag}", 304, id="same"),
        pytest.param("W/{etag}", 304, id="weak-comparison"),
        pytest.param('"other", {etag}', 304, id="in-a-list"),
        pytest.param("*", 304, id="star"),
        pytest.param('"other"', 200, id="other"),
        pytest.param("not a tag", 200, id="malformed-ignored"),
    ],
)
def test_if_none_match_on_get(api, task, header, status):
    response = api.get(detail(task), HTTP_IF_NONE_MATCH=header.format(etag=task["etag"]))

    assert response.status_code == status
    assert response["ETag"] == task["etag"]
    assert (response.content == b"") is (status == 304)


def test_list_etag_revalidates_to_304_until_anything_changes(api, task, django_assert_num_queries):
    first = api.get("/api/user_a/tasks")
    etag = first["ETag"]
    with django_assert_num_queries(1):
        not_modified = api.get("/api/user_a/tasks", HTTP_IF_NONE_MATCH=etag)
    assert (not_modified.status_code, not_modified.content, not_modified["ETag"]) == (304, b"", etag)

    api.patch(detail(task), {"title": "Changed"}, format="json")
    changed = api.get("/api/user_a/tasks", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag and changed.json()[0]["title"] == "Changed"

    api.delete(detail(task))
    emptied = api.get("/api/user_a/tasks", HTTP_IF_NONE_MATCH=changed["ETag"])
    assert (emptied.status_code, emptied.json()) == (200, [])
    assert api.get("/api/user_a/tasks", HTTP_IF_NONE_MATCH=emptied["ETag"]).status_code == 304


def test_list_etag_depends_on_the_query_and_the_owner(api, client_for, task):
    plain = api.get("/api/user_a/tasks")["ETag"]
    assert api.get("/api/user_a/tasks?x=1")["ETag"] != plain
    assert api.get("/api/user_a/tasks?x=1", HTTP_IF_NONE_MATCH=plain).status_code == 200
    assert client_for("user_b").get("/api/user_b/tasks", HTTP_IF_NONE_MATCH=plain).status_code == 200


WRITES: list[tuple[str, str, dict | None]] = [
    ("patch", "", {"title": "Mine"}),
    ("put", "", {"title": "Mine"}),
    ("patch", "/complete", None),
    ("delete", "", None),
]


@pytest.mark.parametrize(("method", "suffix", "body"), WRITES, ids=["patch", "put", "complete", "delete"])
@pytest.mark.parametrize("header", ['"999999999"', 'W/"{etag}"', "garbage", '"x"'], ids=["other", "weak", "malformed", "foreign"])
def test_if_match_not_naming_the_current_etag_is_412_and_writes_nothing(api, task, method, suffix, body, header):
    response = getattr(api, method)(detail(task) + suffix, body, format="json",
                                    HTTP_IF_MATCH=header.format(etag=task["etag"].strip('"')))

    assert response.status_code == 412
    assert response.json() == {"detail": "Precondition failed"}
    assert response["ETag"] == task["etag"]
    row = Task.objects.get(pk=task["id"])
    assert (row.title, row.is_completed) == ("Versioned", False)


@pytest.mark.parametrize(("method", "suffix", "body"), WRITES, ids=["patch", "put", "complete", "delete"])
@pytest.mark.parametrize("header", ["{etag}", '"1", {etag}', "*"], ids=["same", "in-a-list", "star"])
def test_if_match_naming_the_current_etag_writes(api, task, method, suffix, body, header):
    response = getattr(api, method)(detail(task) + suffix, body, format="json",
                                    HTTP_IF_MATCH=header.format(etag=task["etag"]))

    assert response.status_code == (204 if method == "delete" else 200)
    if method == "delete":
        assert not Task.objects.filter(pk=task["id"]).exists()
    else:
        assert response["ETag"] != task["etag"] and response["ETag"] == api.get(detail(task))["ETag"]


@pytest.mark.parametrize(("method", "suffix", "body"), WRITES, ids=["patch", "put", "complete", "delete"])
def test_if_match_comes_after_404_403_and_401(api, client_for, client, make_task, method, suffix, body):
    theirs = make_task(user_id="user_b")
    headers = {"HTTP_IF_MATCH": '"1"'}
    call: Callable = getattr(api, method)

    assert call(f"/api/user_a/tasks/99999999{suffix}", body, format="json", **headers).status_code == 404
    assert call(f"/api/user_a/tasks/{theirs.pk}{suffix}", body, format="json", **headers).status_code == 404
    assert call(f"/api/user_b/tasks/{theirs.pk}{suffix}", body, format="json", **headers).status_code == 403
    assert getattr(client, method)(f"/api/user_b/tasks/{theirs.pk}{suffix}", body, format="json",
                                   **headers).status_code == 401
    assert Task.objects.get(pk=theirs.pk).title == "A task"


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ('"a"', [(False, "a")]),
        ('W/"a", "b,c"', [(True, "a"), (False, "b,c")]),
        (' , "a" ,, ', [(False, "a")]),
        ("*", None),
        ('""', [(False, "")]),
    ],
)
def test_parse_tags(value, parsed):
    assert parse_tags(value) == parsed


@pytest.mark.parametrize("value", ["a", '"a" "b"', 'W/a', '"a', '"a"b'])
def test_parse_tags_refuses_what_is_not_an_entity_tag_list(value):
    with pytest.raises(ValueError):
        parse_tags(value)


def test_cors_preflight_allows_the_sync_headers_and_exposes_etag(client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    preflight = client.options("/api/user_a/tasks/1", HTTP_ORIGIN="https://app.example.com",
                               HTTP_ACCESS_CONTROL_REQUEST_METHOD="PATCH",
                               HTTP_ACCESS_CONTROL_REQUEST_HEADERS="if-match, if-none-match, idempotency-key")
    allowed = {h.strip() for h in preflight["Access-Control-Allow-Headers"].split(",")}
    assert {"if-match", "if-none-match", "idempotency-key"} <= allowed

    response = client.get("/api/user_a/tasks", HTTP_ORIGIN="https://app.example.com")
    exposed = {h.strip() for h in response["Access-Control-Expose-Headers"].split(",")}
    assert {"ETag", "Link", "Idempotent-Replayed"} <= exposed


def test_tags_are_part_of_the_task_etag(api, task):
    tag = api.post("/api/user_a/tags", {"name": "home"}, format="json").json()

    attached = api.post(f"{detail(task)}/tags", {"tag_id": tag["id"]}, format="json")
    after_attach = api.get(detail(task))["ETag"]
    api.delete(f"/api/user_a/tags/{tag['id']}")
    after_tag_deleted = api.get(detail(task))

    assert attached.status_code == 201 and attached["ETag"] == after_attach != task["etag"]
    assert after_tag_deleted.json()["tags"] == [] and after_tag_deleted["ETag"] != after_attach


@pytest.mark.parametrize("route", ["attach", "detach"])
def test_task_tag_routes_take_if_match(api, task, route):
    tag = api.post("/api/user_a/tags", {"name": "home"}, format="json").json()
    if route == "detach":
        task["etag"] = api.post(f"{detail(task)}/tags", {"tag_id": tag["id"]}, format="json")["ETag"]

    def call(etag: str):
        if route == "attach":
            return api.post(f"{detail(task)}/tags", {"tag_id": tag["id"]}, format="json", HTTP_IF_MATCH=etag)
        return api.delete(f"{detail(task)}/tags/{tag['id']}", HTTP_IF_MATCH=etag)

    stale = call('"1"')
    tags_after_stale = api.get(detail(task)).json()["tags"]
    fresh = call(task["etag"])

    assert (stale.status_code, stale.json(), stale["ETag"]) == (412, {"detail": "Precondition failed"}, task["etag"])
    assert tags_after_stale == ([] if route == "attach" else [{"id": tag["id"], "name": "home", "color": None}])
    assert fresh.status_code == (201 if route == "attach" else 204)
    assert api.get(detail(task)).json()["tags"] == ([] if route == "detach" else [{"id": tag["id"], "name": "home", "color": None}])


def test_list_etag_follows_the_list_query_and_shape(api, task, settings):
    tagged = api.get("/api/user_a/tasks?priority=high")
    assert tagged.status_code == 200 and tagged.json() == []
    assert api.get("/api/user_a/tasks?priority=high", HTTP_IF_NONE_MATCH=tagged["ETag"]).status_code == 304
    assert api.get("/api/user_a/tasks", HTTP_IF_NONE_MATCH=tagged["ETag"]).status_code == 200

    array = api.get("/api/user_a/tasks")["ETag"]
    settings.TASK_LIST_FORMAT = "object"
    shaped = api.get("/api/user_a/tasks", HTTP_IF_NONE_MATCH=array)
    assert shaped.status_code == 200 and shaped.json()["count"] == 1 and shaped["ETag"] != array

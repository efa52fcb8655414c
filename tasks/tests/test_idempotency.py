"""Idempotency-Key on POST /tasks: a retry answers the first answer again and creates nothing."""
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from io import StringIO
from typing import Any

import psycopg
import pytest
import requests
from django.core.management import call_command
from django.db import connection
from rest_framework.test import APIClient

from tasks.models import IdempotencyRecord, Task

from .conftest import WebServer, sub_of

URL = "/api/user_a/tasks"


def post(api: APIClient, body: Any, key: str | None = "key-1", path: str = URL) -> Any:
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    return api.post(path, body, format="json", **headers)


def age_records(hours: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE task_idempotency_keys SET created_at = created_at - INTERVAL '{hours} hours'")


# --- In process: the rules ---------------------------------------------------------------------
@pytest.mark.django_db
def test_a_retry_replays_the_stored_answer_and_creates_nothing(api):
    first = post(api, {"title": "Buy milk"})
    again = post(api, {"title": "Buy milk"})

    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again["Location"] == first["Location"] == f"{URL}/{first.json()['id']}"
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Task.objects.filter(user_id="user_a").count() == 1


@pytest.mark.django_db
def test_key_order_and_whitespace_of_the_body_do_not_make_another_request(api):
    first = api.post(URL, '{"title": "t", "description": "d"}', content_type="application/json",
                     HTTP_IDEMPOTENCY_KEY="k")
    again = api.post(URL, '{ "description":"d","title":"t" }', content_type="application/json",
                     HTTP_IDEMPOTENCY_KEY="k")

    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    assert Task.objects.filter(user_id="user_a").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("second", [
    pytest.param({"title": "Buy bread"}, id="other-title"),
    pytest.param({"title": "Buy milk "}, id="same-after-trim-but-not-as-sent"),
    pytest.param({"title": "Buy milk", "is_completed": False}, id="a-default-spelled-out"),
])
def test_the_same_key_with_another_body_is_422_and_creates_nothing(api, second):
    first = post(api, {"title": "Buy milk"})
    other = post(api, second)

    assert other.status_code == 422
    assert other.json() == {"detail": [{
        "loc": ["header", "Idempotency-Key"],
        "msg": "This Idempotency-Key was already used for a different request (method, route or body)",
        "type": "idempotency_key_reused",
    }]}
    assert list(Task.objects.filter(user_id="user_a").values_list("id", flat=True)) == [first.json()["id"]]


@pytest.mark.django_db
def test_a_key_belongs_to_its_user(client_for):
    ada, bob = client_for("ada"), client_for("bob")
    for_ada = post(ada, {"title": "same"}, path="/api/ada/tasks")
    for_bob = post(bob, {"title": "same"}, path="/api/bob/tasks")

    assert for_ada.status_code == for_bob.status_code == 201
    assert "Idempotent-Replayed" not in for_bob
    assert for_ada.json()["id"] != for_bob.json()["id"]
    assert Task.objects.filter(user_id="ada").count() == Task.objects.filter(user_id="bob").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(("key", "type_"), [
    pytest.param("", "string_too_short", id="empty"),
    pytest.param("k" * 256, "string_too_long", id="256-characters"),
    pytest.param("tab\there", "string_pattern_mismatch", id="control-character"),
    pytest.param("caf\u00e9", "string_pattern_mismatch", id="not-ascii"),
])
def test_a_bad_key_is_422_at_the_header_and_creates_nothing(api, key, type_):
    response = post(api, {"title": "t"}, key=key)

    assert response.status_code == 422
    assert [(item["loc"], item["type"]) for item in response.json()["detail"]] == [
        (["header", "Idempotency-Key"], type_)]
    assert not Task.objects.filter(user_id="user_a").exists()
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["k" * 255, "a", " ~!#$%&'*+-.^_`|"], ids=["255-characters", "one", "punctuation"])
def test_keys_of_1_to_255_printable_ascii_characters_are_accepted(api, key):
    assert post(api, {"title": "t"}, key=key).status_code == 201
    assert post(api, {"title": "t"}, key=key)["Idempotent-Replayed"] == "true"
    assert Task.objects.filter(user_id="user_a").count() == 1


@pytest.mark.django_db
def test_an_error_is_not_stored_so_the_corrected_retry_creates(api):
    refused = post(api, {"title": ""})
    created = post(api, {"title": "fixed"})

    assert refused.status_code == 422 and created.status_code == 201
    assert "Idempotent-Replayed" not in created
    assert list(IdempotencyRecord.objects.values_list("status", flat=True)) == [201]


@pytest.mark.django_db
def test_without_a_key_nothing_is_stored_and_every_post_creates(api):
    assert post(api, {"title": "t"}, key=None).status_code == 201
    assert post(api, {"title": "t"}, key=None).status_code == 201
    assert Task.objects.filter(user_id="user_a").count() == 2
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.django_db
def test_after_24_hours_the_key_is_new_again_and_its_record_replaced(api):
    first = post(api, {"title": "old"})
    age_records(24)
    second = post(api, {"title": "new"})  # another body: no 422, the old record is gone
    third = post(api, {"title": "new"})

    assert second.status_code == 201 and "Idempotent-Replayed" not in second
    assert third.content == second.content and third["Idempotent-Replayed"] == "true"
    assert first.json()["id"] != second.json()["id"]
    assert IdempotencyRecord.objects.count() == 1
    assert Task.objects.filter(user_id="user_a").count() == 2


@pytest.mark.django_db
def test_a_key_held_by_a_running_request_is_409_and_creates_nothing(api):
    # Another transaction (another worker's request) holds the key's lock meanwhile. The
    # lock key is derived here in SQL, from the documented rule (the first 8 bytes of
    # sha256("idempotency\0<user>\0<key>"), big-endian, signed), not with tasks.idempotency's
    # own function: a wrong derivation there must make this test fail.
    with psycopg.connect(_url(), autocommit=False) as other:
        other.execute(
            "SELECT pg_advisory_xact_lock(('x' || encode(substring(sha256("
            "convert_to('idempotency', 'UTF8') || '\\x00'::bytea || convert_to(%s, 'UTF8') || '\\x00'::bytea "
            "|| convert_to(%s, 'UTF8')) FROM 1 FOR 8), 'hex'))::bit(64)::bigint)", ["user_a", "busy"])
        response = post(api, {"title": "t"}, key="busy")

    assert response.status_code == 409
    assert response.json() == {"detail": "A request with this Idempotency-Key is still in progress; retry shortly"}
    assert not Task.objects.filter(user_id="user_a").exists()
    assert not IdempotencyRecord.objects.exists()


def _url() -> str:
    from .conftest import database_url
    return database_url(connection.settings_dict["NAME"])


# --- Commands ------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_purge_expired_deletes_only_records_past_24_hours(api):
    post(api, {"title": "old"}, key="old")
    age_records(25)
    post(api, {"title": "fresh"}, key="fresh")
    out = StringIO()

    call_command("purge_expired", stdout=out)

    assert "Purged 1 idempotency record(s) older than 24 hours." in out.getvalue()
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["fresh"]


@pytest.mark.django_db
def test_purge_user_also_deletes_the_users_idempotency_records(client_for):
    post(client_for("ada"), {"title": "t"}, path="/api/ada/tasks")
    post(client_for("bob"), {"title": "t"}, path="/api/bob/tasks")
    out = StringIO()

    call_command("purge_user", "ada", "--yes", stdout=out)

    assert out.getvalue().endswith("Deleted 1 idempotency record(s) of ada.\n")
    assert list(IdempotencyRecord.objects.values_list("user_id", flat=True)) == ["bob"]


# --- Over HTTP, against the Procfile's gunicorn (2 workers) ------------------------------------------
@pytest.mark.slow
def test_twenty_parallel_retries_across_workers_create_exactly_one_task(service: WebServer,
                                                                       production_token: Callable[..., str]):
    token = production_token()
    sub = sub_of(token)
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "retry-storm", "X-Forwarded-Proto": "https"}

    def attempt(_: int) -> requests.Response:
        with requests.Session() as session:
            return session.post(f"{service.url}/api/{sub}/tasks", json={"title": "once"}, headers=headers, timeout=30)

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(attempt, range(20)))

    tasks = service.request("GET", f"/api/{sub}/tasks", token).json()
    assert len(tasks) == 1
    created = [a for a in answers if a.status_code == 201]
    assert {a.status_code for a in answers} <= {201, 409}
    assert [a.headers.get("Idempotent-Replayed") for a in created].count(None) == 1
    assert {(a.content, a.headers["Location"]) for a in created} == {
        (created[0].content, f"/api/{sub}/tasks/{tasks[0]['id']}")}
    assert all(a.json()["detail"].startswith("A request with this Idempotency-Key") for a in answers
               if a.status_code == 409)
    # A retry after the storm replays too.
    late = service.request("POST", f"/api/{sub}/tasks", token, json={"title": "once"}, headers=headers)
    assert late.status_code == 201 and late.content == created[0].content


@pytest.mark.slow
def test_a_key_still_replays_after_the_service_restarts(start_service: Callable[..., WebServer],
                                                        production_token: Callable[..., str]):
    token = production_token()
    sub = sub_of(token)
    headers = {"Idempotency-Key": "across-restarts"}
    before = start_service()
    first = before.request("POST", f"/api/{sub}/tasks", token, json={"title": "durable"}, headers=headers)
    before.stop()

    after = start_service()
    again = after.request("POST", f"/api/{sub}/tasks", token, json={"title": "durable"}, headers=headers)
    other = after.request("POST", f"/api/{sub}/tasks", token, json={"title": "changed"}, headers=headers)

    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert (again.content, again.headers["Location"]) == (first.content, first.headers["Location"])
    assert other.status_code == 422 and other.json()["detail"][0]["type"] == "idempotency_key_reused"
    assert len(after.request("GET", f"/api/{sub}/tasks", token).json()) == 1


@pytest.mark.django_db
def test_openapi_documents_the_key_the_replay_header_and_409(api):
    operation = APIClient().get("/openapi.json").json()["paths"]["/api/{user_id}/tasks"]["post"]

    assert "Idempotency-Key" in [p["name"] for p in operation["parameters"] if p["in"] == "header"]
    assert "Idempotent-Replayed" in operation["responses"]["201"]["headers"]
    assert operation["responses"]["409"]["description"].startswith("A request with this Idempotency-Key")


@pytest.mark.django_db
def test_post_tags_replays_too_and_a_key_is_bound_to_its_route(api):
    first = post(api, {"name": "home"}, path="/api/user_a/tags")
    again = post(api, {"name": "home"}, path="/api/user_a/tags")
    on_tasks = post(api, {"name": "home"}, path=URL)  # same key and body, another route

    assert first.status_code == again.status_code == 201
    assert again.content == first.content and again["Idempotent-Replayed"] == "true"  # not 409 "already exists"
    assert on_tasks.status_code == 422 and on_tasks.json()["detail"][0]["type"] == "idempotency_key_reused"
    assert [t["name"] for t in api.get("/api/user_a/tags").json()["tags"]] == ["home"]

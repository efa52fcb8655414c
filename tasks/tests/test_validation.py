"""Each rule of the Task table: FastAPI-shaped 422 items, and nothing written."""
import json
from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from tasks.models import Task
from tasks.serializers import TaskSerializer

pytestmark = pytest.mark.django_db

STRING = ("string_type", "Input should be a valid string")
TOO_SHORT = ("string_too_short", "String should have at least 1 character")
TITLE_TOO_LONG = ("string_too_long", "String should have at most 200 characters")
DESCRIPTION_TOO_LONG = ("string_too_long", "String should have at most 10000 characters")
BOOL = ("bool_type", "Input should be a valid boolean")
MISSING = ("missing", "Field required")
NUL = ("value_error", "Value error, String should not contain NUL characters")
NOT_OBJECT = ("model_attributes_type", "Input should be a valid dictionary or object to extract fields from")

BAD_FIELDS = [
    pytest.param({"title": ""}, "title", TOO_SHORT, id="title-empty"),
    pytest.param({"title": "   \t\n "}, "title", TOO_SHORT, id="title-blank-after-trim"),
    pytest.param({"title": "x" * 201}, "title", TITLE_TOO_LONG, id="title-201"),
    pytest.param({"title": " " + "é" * 201 + " "}, "title", TITLE_TOO_LONG, id="title-201-code-points"),
    pytest.param({"title": 7}, "title", STRING, id="title-number"),
    pytest.param({"title": True}, "title", STRING, id="title-bool"),
    pytest.param({"title": ["a"]}, "title", STRING, id="title-array"),
    pytest.param({"title": {"a": 1}}, "title", STRING, id="title-object"),
    pytest.param({"title": None}, "title", STRING, id="title-null"),
    pytest.param({"title": "a\u0000b"}, "title", NUL, id="title-nul"),
    pytest.param({"title": "ok", "description": "x" * 10_001}, "description", DESCRIPTION_TOO_LONG, id="description-10001"),
    pytest.param({"title": "ok", "description": 5}, "description", STRING, id="description-number"),
    pytest.param({"title": "ok", "description": False}, "description", STRING, id="description-bool"),
    pytest.param({"title": "ok", "description": "a\x00"}, "description", NUL, id="description-nul"),
    pytest.param({"title": "ok", "is_completed": "yes"}, "is_completed", BOOL, id="completed-string-yes"),
    pytest.param({"title": "ok", "is_completed": "true"}, "is_completed", BOOL, id="completed-string-true"),
    pytest.param({"title": "ok", "is_completed": 1}, "is_completed", BOOL, id="completed-one"),
    pytest.param({"title": "ok", "is_completed": 0}, "is_completed", BOOL, id="completed-zero"),
    pytest.param({"title": "ok", "is_completed": None}, "is_completed", BOOL, id="completed-null"),
]


def error(field: str | None, kind: tuple[str, str]) -> dict[str, Any]:
    return {"loc": ["body", field] if field else ["body"], "msg": kind[1], "type": kind[0]}


@pytest.mark.parametrize("body, field, kind", BAD_FIELDS)
def test_create_rejects_bad_field_and_writes_nothing(api: APIClient, body: dict, field: str, kind: tuple) -> None:
    response = api.post("/api/user_a/tasks", body, format="json")

    assert response.status_code == 422
    assert response.json() == {"detail": [error(field, kind)]}
    assert not Task.objects.for_user("user_a").exists()


@pytest.mark.parametrize("body, field, kind", BAD_FIELDS)
@pytest.mark.parametrize("method", ["PATCH", "PUT"])
def test_update_rejects_bad_field_and_changes_nothing(api: APIClient, make_task: Callable, method: str,
                                                      body: dict, field: str, kind: tuple) -> None:
    task = make_task(user_id="user_a", title="before", description="kept")
    before = Task.objects.filter(pk=task.pk).values().get()

    response = api.generic(method, f"/api/user_a/tasks/{task.id}", json.dumps(body), content_type="application/json")

    assert response.status_code == 422
    assert response.json() == {"detail": [error(field, kind)]}
    assert Task.objects.filter(pk=task.pk).values().get() == before


@pytest.mark.parametrize("raw", ["[]", '[{"title": "x"}]', "null", "42", '"title"', "true"])
def test_json_that_is_not_an_object_is_422_at_body(api: APIClient, raw: str) -> None:
    response = api.post("/api/user_a/tasks", raw, content_type="application/json")

    assert response.status_code == 422
    assert response.json() == {"detail": [error(None, NOT_OBJECT)]}
    assert not Task.objects.for_user("user_a").exists()


@pytest.mark.parametrize("body", [{}, {"description": "no title"}, {"is_completed": True}])
def test_create_requires_a_title_and_put_does_not(api: APIClient, make_task: Callable, body: dict) -> None:
    task = make_task(user_id="user_a", title="kept")

    created = api.post("/api/user_a/tasks", body, format="json")
    replaced = api.put(f"/api/user_a/tasks/{task.id}", body, format="json")

    assert created.status_code == 422 and created.json() == {"detail": [error("title", MISSING)]}
    assert replaced.status_code == 200 and replaced.json()["title"] == "kept"
    assert Task.objects.for_user("user_a").count() == 1


def test_the_schema_documents_put_with_patchs_body_and_create_with_a_required_title() -> None:
    schema = APIClient().get("/openapi.json").json()
    detail, create = schema["paths"]["/api/{user_id}/tasks/{task_id}"], schema["paths"]["/api/{user_id}/tasks"]["post"]

    assert detail["put"]["requestBody"] == detail["patch"]["requestBody"]
    assert not detail["put"]["requestBody"].get("required")
    body = create["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert "title" in schema["components"]["schemas"][body]["required"]


def test_each_serializer_binds_copies_of_the_declared_fields() -> None:
    first, second = TaskSerializer(), TaskSerializer()
    declared = TaskSerializer._declared_fields["title"]

    assert first.fields["title"] is not second.fields["title"]
    assert first.fields["title"].parent is first and second.fields["title"].parent is second
    assert getattr(declared, "parent", None) not in (first, second)
    assert first.fields["title"].required is declared.required is True and first.fields["description"].allow_null is True


def test_every_bad_field_is_reported_at_once(api: APIClient) -> None:
    response = api.post("/api/user_a/tasks", {"title": 1, "description": 2, "is_completed": "no"}, format="json")

    assert response.status_code == 422
    assert response.json()["detail"] == [error("title", STRING), error("description", STRING),
                                         error("is_completed", BOOL)]


@pytest.mark.parametrize("task_id", ["abc", "1.5", "1e3", "0x10", "--1", "１", "1_0", "%201", "1%20", "-"])
@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
def test_task_id_that_is_not_an_integer_is_422_at_path(api: APIClient, method: str, task_id: str) -> None:
    response = api.generic(method, f"/api/user_a/tasks/{task_id}", json.dumps({"title": "x"}),
                           content_type="application/json")

    assert response.status_code == 422
    assert response.json() == {"detail": [{"loc": ["path", "task_id"], "type": "int_parsing",
                                           "msg": "Input should be a valid integer, unable to parse string as an integer"}]}


@pytest.mark.parametrize("value, expected", [("  padded  ", "padded"), ("\u00a0nbsp\u2003", "nbsp"),
                                             ("é" * 200, "é" * 200), (" " + "x" * 200 + " ", "x" * 200)])
def test_title_is_trimmed_then_counted_in_code_points(api: APIClient, value: str, expected: str) -> None:
    response = api.post("/api/user_a/tasks", {"title": value}, format="json")

    assert response.status_code == 201
    assert response.json()["title"] == expected
    assert Task.objects.get(pk=response.json()["id"]).title == expected


@pytest.mark.parametrize("description", ["", "  spaced  ", "x" * 10_000, None])
def test_description_is_kept_as_given(api: APIClient, description: str | None) -> None:
    response = api.post("/api/user_a/tasks", {"title": "t", "description": description}, format="json")

    assert response.status_code == 201
    assert response.json()["description"] == description


def test_unknown_and_read_only_fields_are_ignored(api: APIClient) -> None:
    body = {"title": "t", "id": 999_999, "user_id": "user_b", "created_at": "2000-01-01T00:00:00Z",
            "updated_at": "2000-01-01T00:00:00Z", "next_occurrence_id": 5, "color": "#000000"}

    response = api.post("/api/user_a/tasks", body, format="json")

    task = response.json()
    assert response.status_code == 201
    assert task["id"] != 999_999 and task["user_id"] == "user_a"
    assert not task["created_at"].startswith("2000") and "next_occurrence_id" not in task and "color" not in task


def test_strict_char_field_runs_the_validators_it_is_given() -> None:
    from django.core.validators import RegexValidator
    from rest_framework.exceptions import ValidationError

    from tasks.fields import StrictCharField

    field = StrictCharField(max_length=20, validators=[RegexValidator(r"^[a-z]+$", "Lower case only", code="pattern")])

    assert field.run_validation(" ok ") == "ok"
    with pytest.raises(ValidationError) as refused:
        field.run_validation("Not OK")
    assert refused.value.get_codes() == ["pattern"]
    assert [str(message) for message in refused.value.detail] == ["Lower case only"]


def test_two_task_serializers_at_once_each_validate_by_their_own_rules() -> None:
    """TaskSerializer copies its fields shallowly (speed): each serializer still has fields
    of its own, bound to it, so a partial PATCH's rules never leak into a create's."""
    from tasks.serializers import TaskSerializer

    create = TaskSerializer(data={"description": "no title"})
    patch = TaskSerializer(data={"description": "no title"}, partial=True)
    assert create.fields["title"] is not patch.fields["title"]  # both bound before either validates

    assert patch.is_valid() and patch.validated_data == {"description": "no title"}
    assert not create.is_valid() and create.errors["title"][0].code == "missing"

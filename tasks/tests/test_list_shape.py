"""TASK_LIST_FORMAT: the list's shape for a deployment, shown by /openapi.json; an
unknown value refuses to start with one line."""
import subprocess

import pytest

from tasks.tests.conftest import ROOT, platform_env, procfile_command, sub_of


@pytest.fixture(scope="module")
def object_service(start_service):
    return start_service(TASK_LIST_FORMAT="object")


def test_object_shape_lists_tasks_and_count_with_filters(object_service, production_token):
    token = production_token()
    base = f"/api/{sub_of(token)}/tasks"
    for title, priority in [("a", "high"), ("b", "low"), ("c", "high")]:
        object_service.request("POST", base, token, json={"title": title, "priority": priority})

    everything = object_service.request("GET", base, token).json()
    high = object_service.request("GET", base + "?priority=high&sort_by=title&order=asc", token).json()
    bad = object_service.request("GET", base + "?sort_by=nope", token)

    assert set(everything) == {"tasks", "count"} and everything["count"] == 3
    assert [t["title"] for t in everything["tasks"]] == ["c", "b", "a"]
    assert [t["title"] for t in high["tasks"]] == ["a", "c"] and high["count"] == 2
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "sort_by"]


def list_schema(server) -> dict:
    response = server.request("GET", "/openapi.json").json()["paths"]["/api/{user_id}/tasks"]["get"]
    return response["responses"]["200"]["content"]["application/json"]["schema"]


def test_openapi_shows_the_shape_in_force(object_service, service):
    assert list_schema(service)["type"] == "array"
    assert list_schema(object_service) == {"$ref": "#/components/schemas/TaskList"}
    params = {p["name"] for p in service.request("GET", "/openapi.json").json()["paths"]["/api/{user_id}/tasks"]["get"]["parameters"]}
    assert {"search", "priority", "tags", "is_completed", "sort_by", "order"} <= params


def test_array_shape_is_the_default(service, production_token):
    token = production_token()
    service.request("POST", f"/api/{sub_of(token)}/tasks", token, json={"title": "x"})

    assert [t["title"] for t in service.request("GET", f"/api/{sub_of(token)}/tasks", token).json()] == ["x"]


@pytest.mark.parametrize("value", ["objects", "ARRAY", "json"])
def test_an_unknown_shape_refuses_to_start_with_one_line(service_database_url, value):
    env = platform_env(service_database_url, TASK_LIST_FORMAT=value, PORT="0")
    done = subprocess.run(["bash", "-c", procfile_command("web")], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)

    assert done.returncode != 0
    assert f"TASK_LIST_FORMAT must be array or object, not '{value}'" in done.stderr
    assert "Traceback" not in done.stderr

"""The tag routes over HTTP against the Procfile start: bodies, statuses, isolation
(another user's tag or task is a 404, a foreign path a 403, authentication first), and
that a task's tag change is a change of the task."""
import pytest

from tasks.tests.conftest import sub_of


@pytest.fixture
def owner(service, production_token):
    token = production_token()
    user = sub_of(token)

    def call(method: str, path: str, as_token: str | None = None, **kwargs):
        return service.request(method, path.format(u=user), as_token or token, **kwargs)

    call.token = token  # type: ignore[attr-defined]
    return call


def test_tag_lifecycle(owner):
    created = owner("POST", "/api/{u}/tags", json={"name": "  home ", "color": "#A0b1C2"})
    other = owner("POST", "/api/{u}/tags/", json={"name": "errands"})
    duplicate = owner("POST", "/api/{u}/tags", json={"name": "home", "color": None})
    listed = owner("GET", "/api/{u}/tags")

    assert created.status_code == 201 and other.status_code == 201
    assert set(created.json()) == {"id", "name", "color", "created_at"}
    assert (created.json()["name"], created.json()["color"]) == ("home", "#A0b1C2")
    assert duplicate.status_code == 409 and duplicate.json() == {"detail": "Tag 'home' already exists"}
    assert listed.json() == {"tags": [other.json(), created.json()], "count": 2}

    task = owner("POST", "/api/{u}/tasks", json={"title": "T"}).json()
    tag_id = created.json()["id"]
    added = owner("POST", f"/api/{{u}}/tasks/{task['id']}/tags", json={"tag_id": tag_id})
    again = owner("POST", f"/api/{{u}}/tasks/{task['id']}/tags/", json={"tag_id": tag_id})
    assert added.status_code == 201 and added.json()["tags"] == [{"id": tag_id, "name": "home", "color": "#A0b1C2"}]
    assert added.json()["updated_at"] > task["updated_at"]
    assert again.status_code == 409 and again.json() == {"detail": "Tag already assigned to this task"}

    removed = owner("DELETE", f"/api/{{u}}/tasks/{task['id']}/tags/{tag_id}")
    removed_again = owner("DELETE", f"/api/{{u}}/tasks/{task['id']}/tags/{tag_id}/")
    after = owner("GET", f"/api/{{u}}/tasks/{task['id']}").json()
    assert removed.status_code == 204 and removed.content == b""
    assert removed_again.status_code == 404 and removed_again.json() == {"detail": "Tag not assigned to this task"}
    assert after["tags"] == [] and after["updated_at"] > added.json()["updated_at"]

    owner("POST", f"/api/{{u}}/tasks/{task['id']}/tags", json={"tag_id": tag_id})
    before_delete = owner("GET", f"/api/{{u}}/tasks/{task['id']}").json()
    deleted = owner("DELETE", f"/api/{{u}}/tags/{tag_id}")
    deleted_again = owner("DELETE", f"/api/{{u}}/tags/{tag_id}")
    final = owner("GET", f"/api/{{u}}/tasks/{task['id']}").json()
    assert deleted.status_code == 204 and deleted_again.status_code == 404
    assert deleted_again.json() == {"detail": "Tag not found"}
    assert final["tags"] == [] and final["updated_at"] > before_delete["updated_at"]
    assert owner("GET", "/api/{u}/tags").json()["count"] == 1


@pytest.mark.parametrize("body, loc, kind", [
    ({}, ["body", "name"], "missing"),
    ({"name": ""}, ["body", "name"], "string_too_short"),
    ({"name": "x" * 51}, ["body", "name"], "string_too_long"),
    ({"name": 5}, ["body", "name"], "string_type"),
    ({"name": "ok", "color": "red"}, ["body", "color"], "string_pattern_mismatch"),
    ({"name": "ok", "color": "#12345"}, ["body", "color"], "string_pattern_mismatch"),
    ({"name": "ok", "color": 123456}, ["body", "color"], "string_type"),
])
def test_bad_tag_bodies_are_422_and_create_nothing(owner, body, loc, kind):
    response = owner("POST", "/api/{u}/tags", json=body)

    assert response.status_code == 422 and [(i["loc"], i["type"]) for i in response.json()["detail"]] == [(loc, kind)]
    if kind == "string_pattern_mismatch":
        assert response.json()["detail"][0]["msg"] == "String should match pattern '^#[0-9A-Fa-f]{6}$'"
    assert owner("GET", "/api/{u}/tags").json() == {"tags": [], "count": 0}


@pytest.mark.parametrize("body, kind", [({}, "missing"), ({"tag_id": "1"}, "int_type"), ({"tag_id": True}, "int_type"),
                                        ({"tag_id": 1.5}, "int_type"), ({"tag_id": None}, "int_type")])
def test_bad_task_tag_bodies_are_422(owner, body, kind):
    task = owner("POST", "/api/{u}/tasks", json={"title": "T"}).json()

    response = owner("POST", f"/api/{{u}}/tasks/{task['id']}/tags", json=body)

    assert response.status_code == 422 and response.json()["detail"][0] == {
        "loc": ["body", "tag_id"], "type": kind,
        "msg": "Field required" if kind == "missing" else "Input should be a valid integer"}


@pytest.mark.parametrize("method, path, body, name", [
    ("DELETE", "/api/{u}/tags/abc", None, "tag_id"),
    ("POST", "/api/{u}/tasks/abc/tags", {"tag_id": 1}, "task_id"),
    ("DELETE", "/api/{u}/tasks/abc/tags/1", None, "task_id"),
    ("DELETE", "/api/{u}/tasks/1/tags/1.5", None, "tag_id"),
])
def test_non_integer_ids_are_422_at_their_path_name(owner, method, path, body, name):
    response = owner(method, path, json=body)

    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["path", name]


def test_isolation(service, production_token, owner):
    intruder = production_token()
    theirs_task = owner("POST", "/api/{u}/tasks", json={"title": "Theirs"}).json()
    theirs_tag = owner("POST", "/api/{u}/tags", json={"name": "secret"}).json()
    me = sub_of(intruder)
    my_task = service.request("POST", f"/api/{me}/tasks", intruder, json={"title": "Mine"}).json()
    my_tag = service.request("POST", f"/api/{me}/tags", intruder, json={"name": "mine"}).json()

    # Another user's tag or task under one's own path: 404, and nothing changes.
    cases = [
        ("DELETE", f"/api/{me}/tags/{theirs_tag['id']}", None, "Tag not found"),
        ("POST", f"/api/{me}/tasks/{my_task['id']}/tags", {"tag_id": theirs_tag["id"]}, "Tag not found"),
        ("POST", f"/api/{me}/tasks/{theirs_task['id']}/tags", {"tag_id": my_tag["id"]}, "Task not found"),
        ("DELETE", f"/api/{me}/tasks/{theirs_task['id']}/tags/{my_tag['id']}", None, "Task not found"),
        ("DELETE", f"/api/{me}/tags/99999999999999999999", None, "Tag not found"),
    ]
    for method, path, body, detail in cases:
        response = service.request(method, path, intruder, json=body)
        assert (response.status_code, response.json()) == (404, {"detail": detail}), path
    # A foreign path: 403 on every tag route; no token: 401 before anything.
    victim = sub_of(owner.token)
    for method, path in [("GET", "/tags"), ("POST", "/tags"), ("DELETE", f"/tags/{theirs_tag['id']}"),
                         ("POST", f"/tasks/{theirs_task['id']}/tags"),
                         ("DELETE", f"/tasks/{theirs_task['id']}/tags/{theirs_tag['id']}")]:
        forbidden = service.request(method, f"/api/{victim}{path}", intruder, json={"name": "x", "tag_id": 1})
        anonymous = service.request(method, f"/api/{victim}{path}", None, json={"name": "x", "tag_id": 1})
        assert forbidden.status_code == 403, path
        assert anonymous.status_code == 401 and anonymous.json() == {"detail": "Invalid authorization header"}
    assert owner("GET", "/api/{u}/tags").json()["tags"] == [theirs_tag]
    assert owner("GET", f"/api/{{u}}/tasks/{theirs_task['id']}").json() == theirs_task


@pytest.mark.parametrize("method, path", [("PUT", "/tags"), ("PATCH", "/tags/1"), ("GET", "/tasks/1/tags")])
def test_other_methods_are_405_with_allow(owner, method, path):
    response = owner(method, "/api/{u}" + path, json={})

    assert response.status_code == 405 and "Allow" in response.headers

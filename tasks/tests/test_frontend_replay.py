"""Both generations of the original's frontend client (`frontend/lib/api.ts`) against the
Procfile start: every request shape it sends, and what it reads back.

`node`: the client's own code, unmodified (tasks/tests/frontend/replay.mjs), when the
original's snapshot is on this machine (skipped otherwise: its code is never committed);
its requests must equal the transcription. `transcription`: the same steps sent by
Python as api.ts sends them (tasks/tests/frontend/client.py); it always runs.
"""
from collections.abc import Callable
from typing import Any

import pytest

from .conftest import FRONTEND_ORIGIN, WebServer, sub_of
from .frontend.client import (FIRST_GENERATION, PHASE_V, Step, original_source, run_in_node,
                              resolve, run_transcription, transcribed_headers, transcribed_request)

pytestmark = pytest.mark.slow

# types/index.ts: the fields each generation's Task has, and their JSON types.
FIRST_TASK = {"id": int, "user_id": str, "title": str, "description": (str, type(None)), "is_completed": bool,
              "created_at": str, "updated_at": str}
PHASE_V_TASK = {**FIRST_TASK, "priority": str, "due_date": (str, type(None)),
                "recurrence_pattern": (str, type(None)), "recurrence_end_date": (str, type(None)), "tags": list}
TASK_TAG = {"id": int, "name": str, "color": (str, type(None))}

FIRST_GENERATION_STEPS = [
    Step("empty", "getTasks"),
    Step("milk", "createTask", [{"title": "Buy milk", "description": "2 litres"}]),
    Step("bob", "createTask", [{"title": "Call Bob"}]),
    Step("list", "getTasks"),
    Step("one", "getTask", ["$ref:milk.id"]),
    Step("edit", "updateTask", ["$ref:milk.id", {"title": "Buy oat milk", "description": "2 litres"}]),
    Step("done", "toggleComplete", ["$ref:bob.id"]),
    Step("undone", "toggleComplete", ["$ref:bob.id"]),
    Step("drop", "deleteTask", ["$ref:bob.id"]),
    Step("gone", "getTask", ["$ref:bob.id"]),
    Step("final", "getTasks"),
]

# What the phase V pages send: task-form.tsx submits datetime-local values ("2026-12-05T09:30")
# and leaves "" fields out; its edit form re-opens a due date as due_date.slice(0, 16).
PHASE_V_STEPS = [
    Step("no_tags", "getTags"),
    Step("work", "createTag", [{"name": "work", "color": "#3b82f6"}]),
    Step("rent", "createTask", [{"title": "Pay rent", "description": "Before the 5th", "priority": "high",
                                 "due_date": "2026-12-05T09:30", "recurrence_pattern": "monthly",
                                 "tags": ["money", "home"]}]),
    Step("bank", "createTask", [{"title": "Call the bank", "priority": "low", "due_date": "2026-12-01T08:00",
                                 "tags": ["money"]}]),
    Step("quick", "createTask", [{"title": "Quick add"}]),
    Step("list", "getTasks"),
    Step("search", "getTasks", [{"search": "rent"}]),
    Step("high", "getTasks", [{"priority": "high"}]),
    Step("tagged", "getTasks", [{"tags": ["money", "home"]}]),
    Step("open_by_due", "getTasks", [{"is_completed": False, "sort_by": "due_date", "order": "asc"}]),
    Step("by_priority", "getTasks", [{"sort_by": "priority"}]),
    Step("by_title", "getTasks", [{"sort_by": "title", "order": "asc"}]),
    Step("one", "getTask", ["$ref:rent.id"]),
    Step("edit", "updateTask", ["$ref:bank.id", {"title": "Call the bank", "description": "Ask about fees",
                                                 "priority": "medium", "due_date": "2026-12-02T10:15",
                                                 "tags": ["money", "calls"]}]),
    Step("reprioritise", "updateTask", ["$ref:quick.id", {"priority": "high"}]),
    Step("undate", "updateTask", ["$ref:bank.id", {"due_date": None}]),
    Step("done", "toggleComplete", ["$ref:rent.id"]),
    Step("after_done", "getTasks", [{"is_completed": False, "sort_by": "due_date", "order": "asc"}]),
    Step("tag_it", "addTagToTask", ["$ref:quick.id", "$ref:work.id"]),
    Step("tagged_quick", "getTask", ["$ref:quick.id"]),
    Step("all_tags", "getTags"),
    Step("untag", "removeTagFromTask", ["$ref:quick.id", "$ref:work.id"]),
    Step("drop_tag", "deleteTag", ["$ref:work.id"]),
    Step("drop_task", "deleteTask", ["$ref:quick.id"]),
    Step("gone", "getTask", ["$ref:quick.id"]),
    Step("duplicate", "createTag", [{"name": "money"}]),
    Step("final", "getTasks"),
]


@pytest.fixture(scope="module")
def phase_v_service(start_service: Callable[..., WebServer]) -> WebServer:
    """The deployment a phase V frontend needs: the list as {"tasks", "count"}."""
    return start_service(TASK_LIST_FORMAT="object")


def replay(runner: str, generation: str, server: WebServer, token: str, steps: list[Step]) -> dict[str, dict[str, Any]]:
    """Run the steps (plus one with an expired token) and check every request against the
    transcription; the client's view of each step, by name."""
    steps = [*steps, Step("expired", "getTasks", token=expired_token(token))]
    user_id = sub_of(token)
    if runner == "node":
        source = original_source(generation)
        if source is None:
            pytest.skip("the original's snapshot is not on this machine (fetch Eshalodhi/todo-chatbot-phase5-advanced-k8s)")
        out = run_in_node(source, server.url, token, user_id, FRONTEND_ORIGIN, steps)
    else:
        out = run_transcription(generation, server, token, user_id, FRONTEND_ORIGIN, steps)
    results: dict[str, dict[str, Any]] = {}
    for step, entry in zip(steps, out, strict=True):
        [sent] = entry["requests"]  # every api.ts method is one fetch
        arguments = resolve(step.args, {name: earlier.get("result") for name, earlier in results.items()})
        method, path, body = transcribed_request(generation, user_id, step.call, arguments)
        results[step.name] = entry
        assert (sent["method"], sent["path"], sent["body"]) == (method, path, body), step.name
        assert sent["headers"] == transcribed_headers(step.token or token), step.name
        assert (sent["allowOrigin"], sent["allowCredentials"]) == (FRONTEND_ORIGIN, "true"), step.name
    expired = results.pop("expired")
    # request()'s 401 handling: the user is signed out and sent to /login.
    assert expired["error"] == {"status": 401, "detail": "Token expired"}
    assert "access_token" not in expired["storage"] and expired["href"] == "/login"
    return results


def expired_token(token: str) -> str:
    import jwt

    from .conftest import PRODUCTION_SECRET

    return jwt.encode({"sub": sub_of(token), "exp": 1_000_000_000}, PRODUCTION_SECRET, algorithm="HS256")


def assert_shape(value: dict[str, Any], fields: dict[str, Any]) -> None:
    assert fields.keys() <= value.keys()
    for name, kind in fields.items():
        assert isinstance(value[name], kind) and not (kind is int and isinstance(value[name], bool)), name


@pytest.mark.parametrize("runner", ["node", "transcription"])
def test_first_generation_client_works_unchanged(runner: str, service: WebServer,
                                                 production_token: Callable[..., str]) -> None:
    steps = replay(runner, FIRST_GENERATION, service, production_token(), FIRST_GENERATION_STEPS)
    result = {name: entry.get("result") for name, entry in steps.items()}

    assert all("error" not in entry for name, entry in steps.items() if name != "gone")
    for task in [*result["list"]["tasks"], result["one"], result["edit"], result["done"]]:
        assert_shape(task, FIRST_TASK)
    milk, bob = result["milk"], result["bob"]
    assert result["empty"] == {"tasks": []}
    assert [t["id"] for t in result["list"]["tasks"]] == [bob["id"], milk["id"]]
    assert result["one"] == milk and result["one"]["description"] == "2 litres"
    assert result["edit"]["title"] == "Buy oat milk" and result["edit"]["id"] == milk["id"]
    assert (result["done"]["is_completed"], result["undone"]["is_completed"]) == (True, False)
    assert steps["gone"]["error"] == {"status": 404, "detail": "Task not found"}
    assert [t["title"] for t in result["final"]["tasks"]] == ["Buy oat milk"]


def ids(listing: dict[str, Any]) -> list[int]:
    return [task["id"] for task in listing["tasks"]]


@pytest.mark.parametrize("runner", ["node", "transcription"])
def test_phase_v_client_works_unchanged(runner: str, phase_v_service: WebServer,
                                        production_token: Callable[..., str]) -> None:
    steps = replay(runner, PHASE_V, phase_v_service, production_token(), PHASE_V_STEPS)
    result = {name: entry.get("result") for name, entry in steps.items()}
    rent, bank, quick, work = result["rent"], result["bank"], result["quick"], result["work"]

    assert [name for name, entry in steps.items() if "error" in entry] == ["gone", "duplicate"]
    listings = [result[name] for name in ("list", "search", "high", "tagged", "open_by_due", "by_priority", "by_title",
                                          "after_done", "final")]
    for listing in listings:  # what use-tasks.tsx reads: response.tasks (and the count beside it)
        assert set(listing) == {"tasks", "count"} and listing["count"] == len(listing["tasks"])
        for task in listing["tasks"]:
            assert_shape(task, PHASE_V_TASK) and all(assert_shape(tag, TASK_TAG) is None for tag in task["tags"])
    assert result["no_tags"] == {"tags": [], "count": 0}
    assert (work["name"], work["color"]) == ("work", "#3b82f6") and isinstance(work["created_at"], str)
    # The create form's datetime-local value comes back floating, seconds included, and
    # the edit form's due_date.slice(0, 16) re-opens it unchanged.
    assert (rent["priority"], rent["due_date"], rent["recurrence_pattern"]) == ("high", "2026-12-05T09:30:00", "monthly")
    assert rent["due_date"][:16] == "2026-12-05T09:30" and rent["recurrence_end_date"] is None
    assert [t["name"] for t in rent["tags"]] == ["home", "money"] and rent["is_completed"] is False
    assert (quick["priority"], quick["due_date"], quick["tags"]) == ("medium", None, [])
    assert ids(result["list"]) == [quick["id"], bank["id"], rent["id"]]
    assert result["list"]["tasks"][2] == rent == result["one"]
    assert ids(result["search"]) == ids(result["high"]) == ids(result["tagged"]) == [rent["id"]]
    assert ids(result["open_by_due"]) == [bank["id"], rent["id"], quick["id"]]  # no due date last
    assert ids(result["by_priority"]) == [rent["id"], quick["id"], bank["id"]]
    assert [t["title"] for t in result["by_title"]["tasks"]] == ["Call the bank", "Pay rent", "Quick add"]
    edit = result["edit"]
    assert (edit["description"], edit["priority"], edit["due_date"]) == ("Ask about fees", "medium", "2026-12-02T10:15:00")
    assert [t["name"] for t in edit["tags"]] == ["calls", "money"]
    assert (result["reprioritise"]["title"], result["reprioritise"]["priority"]) == ("Quick add", "high")  # PUT without title
    assert result["undate"]["due_date"] is None and [t["name"] for t in result["undate"]["tags"]] == ["calls", "money"]
    # Completing the monthly task answers it completed; its successor is the open one.
    assert result["done"]["is_completed"] is True and result["done"]["id"] == rent["id"]
    [successor] = [t for t in result["after_done"]["tasks"] if t["title"] == "Pay rent"]
    assert (successor["due_date"], successor["recurrence_pattern"], successor["priority"]) == (
        "2027-01-05T09:30:00", "monthly", "high")
    assert [t["name"] for t in successor["tags"]] == ["home", "money"] and successor["id"] > quick["id"]
    assert ids(result["after_done"]) == [successor["id"], bank["id"], quick["id"]]
    assert [t["name"] for t in result["tagged_quick"]["tags"]] == ["work"]
    assert [t["name"] for t in result["all_tags"]["tags"]] == ["calls", "home", "money", "work"]
    assert result["all_tags"]["count"] == 4
    assert result["untag"] is None and result["drop_tag"] is None and result["drop_task"] is None
    assert steps["gone"]["error"] == {"status": 404, "detail": "Task not found"}
    assert steps["duplicate"]["error"] == {"status": 409, "detail": "Tag 'money' already exists"}
    assert sorted(t["title"] for t in result["final"]["tasks"]) == ["Call the bank", "Pay rent", "Pay rent"]


# Browsers send a preflight before each of these (Authorization and a JSON Content-Type
# are not "simple"); Node's fetch does not, so these are replayed from Python.
@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
def test_the_browsers_preflight_for_every_method_the_client_uses_is_allowed(method: str, service: WebServer) -> None:
    response = service.request("OPTIONS", "/api/someone/tasks/1", headers={
        "Origin": FRONTEND_ORIGIN, "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "authorization,content-type"})

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == FRONTEND_ORIGIN
    assert method in response.headers["Access-Control-Allow-Methods"]
    allowed = {h.strip().lower() for h in response.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type"} <= allowed

"""The original frontend's API client (`frontend/lib/api.ts`), both generations: its own
code run in Node when the original's snapshot is here, else this transcription of it.

The transcription holds what each api.ts method sends (method, path, query, body,
headers) and how `request()` reads the answer; when the snapshot is present,
test_frontend_replay.py checks every request of the Node run against it, so it cannot
drift from the code it transcribes. The original's code itself is never committed: it
is read from the snapshot (`fetch github:Eshalodhi/todo-chatbot-phase5-advanced-k8s`)
at test time.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
ORIGINAL_REPO = Path(os.environ.get(
    "TASKFLOW_ORIGINAL_REPO", "/work/.mirror/Eshalodhi+todo-chatbot-phase5-advanced-k8s/repo"))
# The two generations of frontend/lib/api.ts: the first commit, and phase V (last
# changed in 51b299f; 29bdc70 is the snapshot's head).
FIRST_GENERATION = "66266cb2b16225d84e2f0de805209aaf906a593d"
PHASE_V = "29bdc70edd7a3bfc7444441b9ad6139ce0f91bb1"


@dataclass
class Step:
    """One call of the client's `api` object, e.g. Step("one", "getTask", ["$ref:rent.id"])."""

    name: str
    call: str
    args: list[Any] = field(default_factory=list)
    token: str | None = None  # replaces localStorage's access_token before the call


def original_source(commit: str) -> str | None:
    """api.ts at that commit of the snapshot, or None when the snapshot is not here."""
    if not (ORIGINAL_REPO / "objects").is_dir() or shutil.which("git") is None:
        return None
    shown = subprocess.run(["git", "--git-dir", str(ORIGINAL_REPO), "show", f"{commit}:frontend/lib/api.ts"],
                           capture_output=True, text=True)
    return shown.stdout if shown.returncode == 0 else None


def run_in_node(source: str, base: str, token: str, user_id: str, origin: str, steps: list[Step]) -> list[dict[str, Any]]:
    """Run the steps with the client's own code (tasks/tests/frontend/replay.mjs)."""
    if not (HERE / "node_modules" / "typescript").is_dir():
        raise RuntimeError("run `npm ci --prefix tasks/tests/frontend` (bin/test does) to replay the frontend's api.ts")
    payload = {"source": source, "base": base, "token": token, "userId": user_id, "origin": origin,
               "forwardedProto": "https", "steps": [step.__dict__ for step in steps]}
    done = subprocess.run(["node", str(HERE / "replay.mjs")], input=json.dumps(payload), capture_output=True,
                          text=True, timeout=120, cwd=HERE)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


# --- The transcription ------------------------------------------------------------------------
def transcribed_request(generation: str, user_id: str, call: str, args: list[Any]) -> tuple[str, str, str | None]:
    """(method, path with query, body) exactly as api.ts builds them for `api.<call>(*args)`."""
    tasks = f"/api/{user_id}/tasks"
    if call == "getTasks":
        params = (args or [None])[0] or {}
        if generation == FIRST_GENERATION:
            params = {}  # its getTasks() takes no parameters
        # URLSearchParams, appended in api.ts's order; falsy values are left out, except
        # is_completed, which is sent whenever it is defined (String(false) == "false").
        query = [("search", params.get("search")), ("priority", params.get("priority")),
                 *[("tags", tag) for tag in params.get("tags") or []]]
        if "is_completed" in params:
            query.append(("is_completed", "true" if params["is_completed"] else "false"))
        query += [("sort_by", params.get("sort_by")), ("order", params.get("order"))]
        query_string = urlencode([(k, v) for k, v in query if v])
        return "GET", tasks + (f"?{query_string}" if query_string else ""), None
    paths = {
        "getTask": lambda task_id: ("GET", f"{tasks}/{task_id}", None),
        "createTask": lambda data: ("POST", tasks, stringify(data)),
        "updateTask": lambda task_id, data: ("PUT", f"{tasks}/{task_id}", stringify(data)),
        "deleteTask": lambda task_id: ("DELETE", f"{tasks}/{task_id}", None),
        "toggleComplete": lambda task_id: ("PATCH", f"{tasks}/{task_id}/complete", None),
        "getTags": lambda: ("GET", f"/api/{user_id}/tags", None),
        "createTag": lambda data: ("POST", f"/api/{user_id}/tags", stringify(data)),
        "deleteTag": lambda tag_id: ("DELETE", f"/api/{user_id}/tags/{tag_id}", None),
        "addTagToTask": lambda task_id, tag_id: ("POST", f"{tasks}/{task_id}/tags", stringify({"tag_id": tag_id})),
        "removeTagFromTask": lambda task_id, tag_id: ("DELETE", f"{tasks}/{task_id}/tags/{tag_id}", None),
    }
    return paths[call](*args)


def stringify(value: Any) -> str:
    """JSON.stringify: no spaces, keys in insertion order, non-ASCII as is."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def transcribed_headers(token: str | None) -> dict[str, str]:
    # request(): Content-Type on every request (GET and DELETE too), then the bearer token.
    return {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}


def run_transcription(generation: str, server: Any, token: str, user_id: str, origin: str,
                      steps: list[Step]) -> list[dict[str, Any]]:
    """The same steps, sent by Python as api.ts sends them and read as its request() reads
    them; the same output as run_in_node."""
    storage = {"access_token": token, "user": json.dumps({"id": user_id})}
    href, results, out = "/dashboard", {}, []
    for step in steps:
        if step.token is not None:
            storage["access_token"] = step.token
        method, path, body = transcribed_request(generation, user_id, step.call, resolve(step.args, results))
        headers = transcribed_headers(storage.get("access_token"))
        response = server.session.request(method, server.url + path, data=body.encode() if body else None, timeout=30,
                                          headers={**headers, "Origin": origin, "X-Forwarded-Proto": "https"})
        entry: dict[str, Any] = {"name": step.name, "call": step.call, "requests": [{
            "method": method, "path": path, "headers": headers, "body": body, "status": response.status_code,
            "allowOrigin": response.headers.get("Access-Control-Allow-Origin"),
            "allowCredentials": response.headers.get("Access-Control-Allow-Credentials")}]}
        if not response.ok:
            try:
                detail = response.json().get("detail") or "An error occurred"
            except ValueError:
                detail = "An error occurred"
            if response.status_code == 401:
                storage.pop("access_token", None), storage.pop("user", None)
                href = "/login"
            entry["error"] = {"status": response.status_code, "detail": detail}
        else:
            result = response.json() if response.text else {}
            if generation == FIRST_GENERATION and step.call == "getTasks":
                result = {"tasks": result}  # "Backend returns Task[] directly, wrap it"
            if step.call in {"deleteTask", "deleteTag", "addTagToTask", "removeTagFromTask"}:
                result = None  # these `await` the request and return nothing
            entry["result"] = results[step.name] = result
        entry["storage"], entry["href"] = dict(storage), href
        out.append(entry)
    return out


def resolve(value: Any, results: dict[str, Any]) -> Any:
    """"$ref:<step>.<key>..." becomes that value of an earlier step's result (as replay.mjs does)."""
    if isinstance(value, str) and value.startswith("$ref:"):
        found: Any = results
        for key in value[5:].split("."):
            found = found[key]
        return found
    if isinstance(value, list):
        return [resolve(v, results) for v in value]
    if isinstance(value, dict):
        return {k: resolve(v, results) for k, v in value.items()}
    return value

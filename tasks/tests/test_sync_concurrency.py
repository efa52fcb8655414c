"""Against the live Procfile server, in parallel: If-Match lets exactly one of two writers
through, and a client syncing with ?since= while others write ends with the database's state."""
import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from .conftest import WebServer, sub_of

pytestmark = pytest.mark.slow


def call(service: WebServer, token: str, method: str, path: str, **kwargs) -> requests.Response:
    with requests.Session() as session:
        return session.request(method, service.url + path, timeout=30,
                               headers={"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}, **kwargs)


@pytest.mark.parametrize("write", ["patch", "complete", "delete"])
def test_parallel_writes_with_the_same_if_match_give_one_success_and_412s(service: WebServer,
                                                                        production_token: Callable[..., str],
                                                                        write: str) -> None:
    token = production_token()
    sub = sub_of(token)
    for round_ in range(4):
        created = service.request("POST", f"/api/{sub}/tasks", token, json={"title": "contested"})
        path, etag = f"/api/{sub}/tasks/{created.json()['id']}", created.headers["ETag"]
        method, suffix = {"patch": ("PATCH", ""), "complete": ("PATCH", "/complete"), "delete": ("DELETE", "")}[write]
        barrier = threading.Barrier(6)

        def attempt(n: int) -> requests.Response:
            barrier.wait()
            return call(service, token, method, path + suffix, headers={"If-Match": etag}, json={"title": f"writer {n}"})

        with ThreadPoolExecutor(6) as pool:
            answers = list(pool.map(attempt, range(6)))

        winners = [a for a in answers if a.status_code in (200, 204)]
        losers = [a for a in answers if a.status_code != 200 and a.status_code != 204]
        assert len(winners) == 1, [a.status_code for a in answers]
        # A loser sees 412 while the task exists, 404 once the winner deleted it.
        assert {a.status_code for a in losers} <= ({404, 412} if write == "delete" else {412})
        current = service.request("GET", path, token)
        if write == "delete":
            assert current.status_code == 404
        else:
            assert all(a.json() == {"detail": "Precondition failed"} and a.headers["ETag"] == current.headers["ETag"]
                       for a in losers)
            assert current.headers["ETag"] == winners[0].headers["ETag"]
            if write == "patch":
                assert current.json()["title"] == winners[0].json()["title"]


def test_a_syncing_client_ends_with_the_databases_state(service: WebServer, production_token: Callable[..., str]) -> None:
    token = production_token()
    sub = sub_of(token)
    seeded = [service.request("POST", f"/api/{sub}/tasks", token, json={"title": f"seed {n}"}).json()["id"]
              for n in range(20)]
    state: dict[int, dict] = {}
    since: list[str] = []
    stop = threading.Event()
    polls = {"pages": 0, "more": 0}

    def sync_once() -> None:
        while True:
            params = {"limit": "7", **({"since": since[-1]} if since else {})}
            body = call(service, token, "GET", f"/api/{sub}/changes", params=params).json()
            for change in body["changes"]:
                if change.get("deleted"):
                    state.pop(change["id"], None)
                else:
                    state[change["id"]] = change
            since.append(body["next"])
            polls["pages"] += 1
            polls["more"] += body["more"]
            if not body["more"]:
                return

    def syncer() -> None:
        while not stop.is_set():
            sync_once()

    def writer(seed: int) -> None:
        rng = random.Random(seed)
        mine = list(seeded[seed::4])
        for step in range(25):
            action = rng.choice(["create", "patch", "complete", "delete"] if mine else ["create"])
            if action == "create":
                mine.append(call(service, token, "POST", f"/api/{sub}/tasks", json={"title": f"w{seed} {step}"}).json()["id"])
                continue
            task_id = rng.choice(mine)
            if action == "delete":
                mine.remove(task_id)
                call(service, token, "DELETE", f"/api/{sub}/tasks/{task_id}")
            elif action == "patch":
                call(service, token, "PATCH", f"/api/{sub}/tasks/{task_id}", json={"description": f"w{seed} {step}"})
            else:
                call(service, token, "PATCH", f"/api/{sub}/tasks/{task_id}/complete")

    sync_thread = threading.Thread(target=syncer)
    sync_thread.start()
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(writer, range(4)))
    stop.set()
    sync_thread.join()
    sync_once()  # the client's last poll, after the writers are done

    database = {t["id"]: t for t in service.request("GET", f"/api/{sub}/tasks", token).json()}
    assert state == database
    assert polls["more"] > 0 and polls["pages"] > 5  # the client really paged, and polled during the writes

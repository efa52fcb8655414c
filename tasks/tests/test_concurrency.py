"""Parallel writes against the live Procfile server: nothing is lost, toggles add up."""
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from .conftest import WebServer, sub_of

pytestmark = pytest.mark.slow


def test_parallel_patches_of_different_fields_never_lose_one_another(service: WebServer,
                                                                      production_token: Callable[..., str]) -> None:
    token = production_token()
    sub = sub_of(token)
    for round_ in range(5):
        task = service.request("POST", f"/api/{sub}/tasks", token, json={"title": "t", "description": "d"}).json()
        changes = [{"title": f"title {round_}"}, {"description": f"description {round_}"}, {"is_completed": True}] * 3

        def patch(body: dict) -> int:
            with requests.Session() as session:
                return session.patch(f"{service.url}/api/{sub}/tasks/{task['id']}", json=body, timeout=30,
                                     headers={"Authorization": f"Bearer {token}"}).status_code

        with ThreadPoolExecutor(len(changes)) as pool:
            assert set(pool.map(patch, changes)) == {200}

        final = service.request("GET", f"/api/{sub}/tasks/{task['id']}", token).json()
        assert (final["title"], final["description"], final["is_completed"]) == (
            f"title {round_}", f"description {round_}", True)


@pytest.mark.parametrize("toggles", [7, 8])
def test_parallel_completes_each_toggle_once(service: WebServer, production_token: Callable[..., str],
                                             toggles: int) -> None:
    token = production_token()
    sub = sub_of(token)
    task = service.request("POST", f"/api/{sub}/tasks", token, json={"title": "toggle me"}).json()

    def complete(_: int) -> bool:
        with requests.Session() as session:
            response = session.patch(f"{service.url}/api/{sub}/tasks/{task['id']}/complete", timeout=30,
                                     headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 200
            return response.json()["is_completed"]

    with ThreadPoolExecutor(toggles) as pool:
        seen = list(pool.map(complete, range(toggles)))

    final = service.request("GET", f"/api/{sub}/tasks/{task['id']}", token).json()
    assert final["is_completed"] is (toggles % 2 == 1)
    # Each answer shows the state its own toggle produced: as many True as False (±1).
    assert abs(seen.count(True) - seen.count(False)) == toggles % 2

"""The rate limiter against a real Redis (127.0.0.1:6379, database 7): one round trip per
request, and the count still right. Counted by Redis itself (INFO commandstats), not by
watching MONITOR, whose lines a long run lost one of."""
from collections.abc import Callable
from typing import Any

import pytest
import redis
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

REDIS_URL = "redis://127.0.0.1:6379/7"


def command_calls(client: redis.Redis) -> dict[str, int]:
    """Redis's own count of every command it has run, by name (INFO commandstats)."""
    return {name.removeprefix("cmdstat_").upper(): stats["calls"]
            for name, stats in client.info("commandstats").items()}


@pytest.fixture
def redis_commands() -> Callable[[], list[str]]:
    """Every command the server has run since the test started, as Redis counts them (a
    command a Lua script runs inside Redis is no round trip: it counts under EVALSHA only);
    this fixture's INFO calls left out. The suite is the server's only client meanwhile."""
    client = redis.Redis.from_url(REDIS_URL)
    before = command_calls(client)

    def since_start() -> list[str]:
        after = command_calls(client)
        return [name for name, calls in after.items() if name != "INFO" for _ in range(calls - before.get(name, 0))]

    return since_start


def test_one_redis_round_trip_per_request_and_the_limit_holds(
        client_for: Callable[[str], APIClient], new_sub: Callable[[], str], settings: Any,
        redis_commands: Callable[[], list[str]]) -> None:
    settings.REDIS_URL = REDIS_URL
    settings.RATE_LIMIT = "4/day"
    sub = new_sub()
    api = client_for(sub)

    statuses = [api.get(f"/api/{sub}/tasks").status_code for _ in range(5)]

    assert statuses == [200, 200, 200, 200, 429]
    seen = redis_commands()
    # Redis counts the commands a script runs too: the script's INCR (one per request) and
    # EXPIRE (once per window) are no round trips; nor is a new connection's HELLO and SELECT of
    # database 7, nor the first call's NOSCRIPT retry with its SCRIPT LOAD.
    round_trips = [name for name in seen if name not in {"INCR", "EXPIRE", "SELECT", "HELLO"} and not name.startswith(("SCRIPT", "CLIENT"))]
    assert seen.count("INCR") == 5, seen
    assert round_trips.count("EVALSHA") in (5, 6) and set(round_trips) == {"EVALSHA"}, seen

"""What real clients saw of a fault (the fault suite's load): 20 clients, each its own
user, alternating POST and GET against a server faultlab's processes may break; every
answer tallied, the acknowledged writes checked against the database afterwards, one
`FAULT ...` line per case; and the bounds every fault test holds its answers to."""
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import jwt
import psycopg
import requests

from tasks.tests.conftest import PRODUCTION_SECRET, WebServer

# What "bounded" means here: the client-side deadline of a database call (statement
# timeout + grace) or the connect timeout, plus scheduling noise on a loaded 2-core box.
DB_BOUND_S = 9.0
NORMAL_BOUND_S = 1.0


def error_lines(log: str) -> list[str]:
    return [line for line in log.splitlines() if '"level":"ERROR"' in line or "Traceback" in line]


def get_tasks(server: WebServer, sub: str | None = None, timeout: float = 30) -> requests.Response:
    sub = sub or uuid.uuid4().hex
    return requests.get(f"{server.url}/api/{sub}/tasks", timeout=timeout,
                        headers={"Authorization": f"Bearer {token_for(sub)}", "X-Forwarded-Proto": "https"})

def token_for(sub: str) -> str:
    now = int(time.time())
    return jwt.encode({"sub": sub, "iat": now, "exp": now + 3600}, PRODUCTION_SECRET, algorithm="HS256")


@dataclass
class Tally:
    """Every answer of a load run: status (0 = no answer) and seconds, and the ids of the
    POSTs that got 201 (each must be in the database afterwards)."""

    answers: list[tuple[int, float, float]] = field(default_factory=list)  # (status, started, seconds)
    created: list[tuple[str, int]] = field(default_factory=list)  # (sub, id)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, status: int, started: float, seconds: float) -> None:
        with self.lock:
            self.answers.append((status, started, seconds))

    def between(self, start: float, end: float) -> "Tally":
        part = Tally()
        part.answers = [a for a in self.answers if start <= a[1] < end]
        return part

    def counts(self) -> dict[str, float]:
        statuses = [s for s, _, _ in self.answers]
        return {
            "2xx": sum(200 <= s < 300 for s in statuses),
            "503": statuses.count(503),
            "other": sum(not (200 <= s < 300) and s != 503 for s in statuses),
            "slowest_s": round(max((t for _, _, t in self.answers), default=0.0), 2),
        }


@contextmanager
def load(base_url: str, clients: int = 20, posts: bool = True, timeout: float = 60) -> Iterator[Tally]:
    """`clients` threads, each its own user, alternating POST and GET until the block ends."""
    tally = Tally()
    stop = threading.Event()

    def client() -> None:
        sub = uuid.uuid4().hex
        session = requests.Session()
        session.headers.update({"Authorization": f"Bearer {token_for(sub)}", "X-Forwarded-Proto": "https"})
        n = 0
        while not stop.is_set():
            n += 1
            started = time.monotonic()
            try:
                if posts and n % 2:
                    answer = session.post(f"{base_url}/api/{sub}/tasks", json={"title": f"t{n}"}, timeout=timeout)
                    if answer.status_code == 201:
                        with tally.lock:
                            tally.created.append((sub, answer.json()["id"]))
                else:
                    answer = session.get(f"{base_url}/api/{sub}/tasks?limit=5", timeout=timeout)
                status = answer.status_code
            except requests.RequestException:
                status = 0
                session.close()
            tally.add(status, started, time.monotonic() - started)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    try:
        yield tally
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout + 5)


def lost_writes(database_url: str, tally: Tally) -> int:
    """POSTs answered 201 whose row is not in the database."""

    if not tally.created:
        return 0
    with psycopg.connect(database_url, connect_timeout=10) as conn:
        ids = [row[0] for row in conn.execute("SELECT id FROM tasks WHERE id = ANY(%s)", [[i for _, i in tally.created]])]
    return len(tally.created) - len(set(ids))


def report(fault: str, tally: Tally, lost: int | None = None, **extra: object) -> str:
    counts = {**tally.counts(), **({"lost_writes": lost} if lost is not None else {}), **extra}
    line = f"FAULT {fault}: " + " ".join(f"{k}={v}" for k, v in counts.items())
    print(line)
    results = os.environ.get("FAULTS_RESULTS")
    if results:
        with open(results, "a") as out:
            out.write(line + "\n")
    return line


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            if check():
                return time.monotonic() - started
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{what} not within {timeout} s")

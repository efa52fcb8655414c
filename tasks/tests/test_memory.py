"""A served response is freed by reference counting, not left to the rare full garbage
collection (which let a worker's unreachable lists pile up past 1 GiB under load)."""
import gc
import io
import sys
from collections.abc import Callable, Iterator

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from rest_framework.response import Response

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def keep_the_test_transactions_connection() -> Iterator[None]:
    # As Django's test client does: a request must not close the connection that holds
    # this test's transaction.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def cyclic_garbage() -> Iterator[list]:
    """What the cycle collector would have to free, kept for inspection."""
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        yield gc.garbage
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


def serve(method: str, path: str, token: str) -> bytes:
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "testserver",
               "SERVER_PORT": "80", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(b""), "wsgi.errors": sys.stderr,
               "HTTP_AUTHORIZATION": f"Bearer {token}"}
    response = WSGIHandler()(environ, lambda status, headers, exc_info=None: None)
    try:
        return b"".join(response)
    finally:
        response.close()


@pytest.mark.parametrize("path", ["/api/user_a/tasks", "/api/user_a/tasks/{id}", "/api/user_a/tasks/0"])
def test_responses_are_not_left_in_reference_cycles(make_task: Callable, make_token: Callable[..., str],
                                                    cyclic_garbage: list, path: str) -> None:
    task = next(make_task(title=f"t{i}") for i in range(50))
    token = make_token("user_a")

    for _ in range(3):
        assert serve("GET", path.format(id=task.id), token).startswith((b"[{", b'{"'))
    gc.collect()

    assert [obj for obj in cyclic_garbage if isinstance(obj, Response)] == []

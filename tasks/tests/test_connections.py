"""Client connections of the Procfile start (taskflow.server.workers): kept-alive ones outlive a
Retry-After wait, silent ones are closed."""
import socket
import time

import pytest

from tasks.tests.conftest import WebServer

pytestmark = pytest.mark.slow

HEALTH = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def port_of(server: WebServer) -> int:
    return int(server.url.rsplit(":", 1)[1])


def read_answer(sock: socket.socket) -> bytes:
    answer = b""
    while b'{"status":"ok"}' not in answer and b'{"status": "ok"}' not in answer:
        chunk = sock.recv(65536)
        if not chunk:
            break
        answer += chunk
    return answer


def test_a_kept_alive_connection_is_still_served_after_a_retry_after_wait(service: WebServer) -> None:
    with socket.create_connection(("127.0.0.1", port_of(service)), timeout=10) as sock:
        sock.sendall(HEALTH)
        first = read_answer(sock)
        time.sleep(7)  # Retry-After (5 s) and then some: longer than a request head may take
        sock.sendall(HEALTH)
        second = read_answer(sock)
    assert first.startswith(b"HTTP/1.1 200 ") and second.startswith(b"HTTP/1.1 200 ")


def test_a_connection_that_sends_nothing_is_closed(service: WebServer) -> None:
    with socket.create_connection(("127.0.0.1", port_of(service)), timeout=15) as sock:
        started = time.monotonic()
        assert sock.recv(1) == b""
        assert time.monotonic() - started < 8  # `keepalive` (5 s) and scheduling slack


"""gunicorn's own error answers as the contract's JSON `{"detail": ...}`.

gunicorn answers what it refuses before the application sees it (a request line over
`limit_request_line`, a header over `limit_request_field_size`, bytes that are not HTTP)
with an HTML page written by `gunicorn.util.write_error`, which every worker class
(sync, gthread, gevent, ...) calls from the base Worker's `handle_error`. Replacing that
one function in each worker keeps the status and reason gunicorn chose and changes only
the body, whatever worker class taskflow/gunicorn.py picks.
"""
import json
import socket
from typing import Any

from gunicorn import util


DETAILS = {
    400: "Bad request",
    414: "Request line too long",
    431: "Request header fields too large",
    500: "Internal server error",
}


def json_error_response(status: int, reason: str) -> bytes:
    """The whole HTTP answer: gunicorn's status line, a JSON body, and the connection closed."""
    # Never gunicorn's message: it echoes the refused request line or header back.
    detail = DETAILS.get(status) or reason.capitalize()
    body = json.dumps({"detail": detail}).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        "\r\n"
    )
    return head.encode("latin-1") + body


def write_json_error(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    util.write_nonblock(sock, json_error_response(status_int, reason))


def install_json_errors(worker: Any = None) -> None:
    """gunicorn's post_worker_init hook: this worker writes JSON errors from now on."""
    util.write_error = write_json_error

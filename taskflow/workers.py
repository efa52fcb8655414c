"""The gunicorn worker of the Procfile's web: line: gevent's, with two bounds added.

Why gevent at all is in taskflow/gunicorn.py. gevent's worker already bounds a request
head (and the drain of an unread body before the next request) by `keepalive` seconds.
This adds:

- a read/write timeout on every client socket (CLIENT_TIMEOUT_SECONDS): a body that
  stops arriving raises in the application, which answers 408 (tasks.exceptions);
- no long drains: a body the application did not read (a 413, say) is drained only
  when at most DRAIN_LIMIT bytes are left; otherwise the answer is sent, the write side
  closed, a little is read so the client sees the answer rather than a reset, and the
  connection is closed. A 2 MB body is never read to answer that it is too big.
"""
import ctypes
import socket
import struct
from typing import Any

from django.conf import settings
from gunicorn import util
from gunicorn.http.body import ChunkedReader, LengthReader
from gunicorn.workers.base_async import AsyncWorker
from gunicorn.workers.ggevent import GeventWorker

DRAIN_LIMIT = 64 * 1024
SO_ATTACH_FILTER = 26  # Linux <asm-generic/socket.h>


def refuse_new_connections(listener: socket.socket) -> None:
    """Make the kernel drop new connection attempts (SYNs) to `listener`, which stays
    open: connections already queued are still accepted and served by the workers.

    Closing a listening socket resets the connections in its accept queue, which a
    proxy has already sent a request on (a POST it must not retry: a 502). With the
    SYNs dropped instead, a client retries its SYN a second later, finds the socket
    closed and is refused, and a proxy safely takes it to another instance. The filter
    is one classic-BPF instruction, `ret #0` (keep 0 bytes: drop)."""
    program = ctypes.create_string_buffer(struct.pack("HBBI", 0x06, 0, 0, 0))
    try:
        listener.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, struct.pack("HL", 1, ctypes.addressof(program)))
    except OSError:  # not Linux, or not a socket that filters: plain close as before
        pass


def stop_accepting_first(arbiter: Any) -> None:
    """gunicorn's on_starting hook: when the whole instance stops (SIGTERM/SIGINT to the
    master), refuse new connections before the workers are told to finish. Only then:
    a single worker's restart (HUP, max_requests) must not stop its siblings accepting."""
    stop = arbiter.stop

    def stop_after_refusing(graceful: bool = True) -> None:
        for listener in arbiter.LISTENERS:
            refuse_new_connections(listener.sock)
        stop(graceful)

    arbiter.stop = stop_after_refusing


def unread_body_is_large(req: Any) -> bool:
    reader = getattr(getattr(req, "body", None), "reader", None)
    if isinstance(reader, LengthReader):
        return reader.length > DRAIN_LIMIT
    # A chunked body's rest is unknown; taskflow.wsgi reads every chunked body up to
    # the limit, so one left unfinished is oversized or stalled.
    return isinstance(reader, ChunkedReader) and reader.parser is not None


class Worker(GeventWorker):
    def handle(self, listener: Any, client: Any, addr: Any) -> None:
        # GeventWorker.handle only makes the socket blocking (no timeout); skip it.
        client.settimeout(settings.CLIENT_TIMEOUT_SECONDS)
        AsyncWorker.handle(self, listener, client, addr)

    def handle_request(self, listener_name: Any, req: Any, sock: Any, addr: Any) -> bool:
        keep = super().handle_request(listener_name, req, sock, addr)
        if keep and (unread_body_is_large(req) or getattr(req.body, "failed", False)):
            util.close_graceful(sock, timeout=1.0, max_drain=DRAIN_LIMIT)
            raise StopIteration()
        return keep

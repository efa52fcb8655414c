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
from typing import Any

from django.conf import settings
from gunicorn import util
from gunicorn.http.body import ChunkedReader, LengthReader
from gunicorn.workers.base_async import AsyncWorker
from gunicorn.workers.ggevent import GeventWorker

DRAIN_LIMIT = 64 * 1024


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

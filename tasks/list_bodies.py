"""The rendered bodies of whole task lists, per web process, each under its strong ETag.

A list's ETag (tasks.conditional.list_etag) names one body exactly: the owner's place in
the change sequence, read in the same snapshot as the rows, plus the shape and the query.
That is what makes the 304 of a revalidation right, and it makes a body kept under its
ETag right too: when the owner's version (one cheap statement, tasks.listing.list_version)
still gives the same ETag, the kept body is byte for byte what the list statement would
render now. So a repeated list costs the statement a revalidation costs, not 1,000 rows
read, turned into dicts and rendered (measured: bench/RESULTS.md, "The list: bodies kept
under their ETag").

Per process, and disagreement is harmless: every use is checked against the database
first, so a process whose body is stale reads the rows as before. Only whole lists
(no `limit`, no `cursor`: a page's `Link` names the request's host) are kept.
LIST_CACHE_MB bounds the bytes kept per process, least recently used out first; 0 turns
it off.

Why not Django's cache framework: its local-memory backend pickles every value on set
and get (a copy and a pass over 300 KB per hit) and bounds entries by count, not bytes;
Redis would send every body over the network to save a local read. An OrderedDict under
a lock is the whole job.
"""
import collections
import threading
from typing import NamedTuple

from django.conf import settings


class KeptBody(NamedTuple):
    etag: str
    body: bytes


class ListBodies:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._bodies: collections.OrderedDict[tuple, KeptBody] = collections.OrderedDict()
        self._bytes = 0

    def get(self, key: tuple) -> KeptBody | None:
        with self._lock:
            kept = self._bodies.get(key)
            if kept is not None:
                self._bodies.move_to_end(key)
            return kept

    def put(self, key: tuple, etag: str, body: bytes) -> None:
        limit = settings.LIST_CACHE_MB * 1024 * 1024
        if len(body) > limit:
            return
        with self._lock:
            old = self._bodies.pop(key, None)
            if old is not None:
                self._bytes -= len(old.body)
            self._bodies[key] = KeptBody(etag, body)
            self._bytes += len(body)
            while self._bytes > limit:
                _, evicted = self._bodies.popitem(last=False)
                self._bytes -= len(evicted.body)

    def clear(self) -> None:
        with self._lock:
            self._bodies.clear()
            self._bytes = 0


list_bodies = ListBodies()

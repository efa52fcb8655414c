"""Entity tags and conditional requests, as RFC 9110 defines them (§8.8.3, §13.1.1-2).

A task's ETag is its place in its owner's change sequence (tasks.sync), so comparing
versions is comparing numbers, and If-Match can be part of the write's own WHERE clause.
A list's ETag names the owner's whole sequence position plus what was asked for.
"""
import hashlib
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import transaction
from rest_framework.exceptions import APIException, NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from .models import Task
from .rows import task_row
from .sql import execute, table

# entity-tag = [ weak ] opaque-tag; opaque-tag = DQUOTE *etagc DQUOTE (RFC 9110 §8.8.3).
_ENTITY_TAG = re.compile(r'[ \t]*(W/)?"([\x21\x23-\x7e\x80-\xff]*)"[ \t]*(?:,|$)')
_EMPTY_ITEM = re.compile(r"[ \t]*,")
_OUR_TAG = re.compile(r"[0-9]{1,18}")
# Bumped when the JSON a task or a list renders to changes shape, so tags issued by an
# older release never validate a body the new one would render differently.
REPRESENTATION = "1"


class PreconditionFailed(APIException):
    """If-Match named none of the task's current tags: 412, the current ETag, no write."""

    status_code = 412
    default_detail = "Precondition failed"

    def __init__(self, etag: str) -> None:
        super().__init__()
        self.etag = etag  # tasks.exceptions puts it on the response


def parse_tags(value: str) -> list[tuple[bool, str]] | None:
    """`*` -> None; otherwise the (weak, opaque) pairs of a comma-separated list.

    Empty list items are allowed (RFC 9110 §5.6.1); anything malformed raises ValueError.
    """
    if value.strip() == "*":
        return None
    tags, position = [], 0
    while position < len(value):
        empty = _EMPTY_ITEM.match(value, position)
        if empty:
            position = empty.end()
            continue
        if not value[position:].strip():
            break
        match = _ENTITY_TAG.match(value, position)
        if not match:
            raise ValueError(f"Not an entity-tag list: {value!r}")
        tags.append((bool(match.group(1)), match.group(2)))
        position = match.end()
    return tags


def task_etag(change_seq: int) -> str:
    """Strong, and unique along the owner's sequence: every change of the task renumbers it."""
    return f'"{change_seq}"'


def list_etag(user_id: str, version: tuple[int | None, int | None] | None, shape: str, query: Sequence[Any]) -> str:
    """The tag of one list body: the owner's latest change number and horizon (read in
    the same statement as the rows), the list shape and the normalized query. An empty
    list (version None) has a body that depends on the shape and query alone."""
    key = repr((REPRESENTATION, user_id, version, shape, list(query))).encode()
    return f'"l{hashlib.blake2b(key, digest_size=12).hexdigest()}"'


def header_tags(request: Request, header: str) -> tuple[str, list[tuple[bool, str]]]:
    """How a conditional header reads: ("absent", []), ("malformed", []), ("any", [])
    for `*`, or ("tags", its (weak, opaque) pairs)."""
    value = request.headers.get(header)
    if value is None:
        return "absent", []
    try:
        tags = parse_tags(value)
    except ValueError:
        return "malformed", []
    return ("any", []) if tags is None else ("tags", tags)


def if_match_versions(request: Request) -> list[int] | None:
    """The change numbers If-Match allows, or None when it allows any existing task
    (no header, or `*`). Strong comparison: weak tags, tags that are not ours and a
    malformed header match nothing, so the write is refused rather than made blindly."""
    kind, tags = header_tags(request, "If-Match")
    if kind in ("absent", "any"):
        return None
    return [int(opaque) for weak, opaque in tags if not weak and _OUR_TAG.fullmatch(opaque)]


def none_match(request: Request, etag: str) -> bool:
    """If-None-Match names this tag (weak comparison) or is `*`; a malformed header is
    ignored, as if absent (the full answer is always safe)."""
    kind, tags = header_tags(request, "If-None-Match")
    return kind == "any" or any(f'"{opaque}"' == etag.removeprefix("W/") for _, opaque in tags)


def with_etag(response: Response, etag: str) -> Response:
    response["ETag"] = etag
    return response


def not_modified_if_matching(request: Request, response: Response) -> Response:
    """A GET/HEAD 200 whose ETag If-None-Match names becomes 304: the ETag, no body."""
    etag = response.get("ETag")
    if request.method in ("GET", "HEAD") and response.status_code == 200 and etag and none_match(request, etag):
        response.status_code = 304
        response.data = None  # rendered as no bytes; DRF then drops Content-Type too
    return response


@contextmanager
def if_match_holds(user_id: str, task_id: int | None, if_match: list[int] | None) -> Iterator[None]:
    """Run the block only if the task's version is one If-Match lists (`if_match` from
    if_match_versions; None: unconditional, nothing added).

    The check locks the row (SELECT ... FOR UPDATE, which after waiting for a parallel
    writer re-checks change_seq on the version that writer left), and the block's writes
    run in the same transaction under that lock: no other write of the task can come
    between the check and the write, so two writers holding one ETag never both pass.
    404 when the task is missing or not the user's, 412 with the current ETag otherwise.
    """
    if if_match is None:
        yield
        return
    with transaction.atomic():
        locked = execute(f"SELECT FROM {table(Task)} WHERE id = %s AND user_id = %s AND change_seq = ANY(%s) FOR UPDATE",
                         [task_id, user_id, if_match])
        if task_id is None or locked == 0:
            current = task_id and task_row(user_id, task_id)
            if current:
                raise PreconditionFailed(task_etag(current.change_seq))
            raise NotFound("Task not found")
        yield


def list_query(request: Request) -> list[tuple[str, list[str]]]:
    """Every query parameter, sorted by name: a list ETag is never shared by two queries
    (unknown parameters included, which at worst costs a full answer)."""
    return sorted(request.query_params.lists())

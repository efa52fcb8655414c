"""The contract's rows: /api/{user_id}/tasks[/{task_id}[/complete|/tags[/{tag_id}]]],
/api/{user_id}/tags[/{tag_id}], plus health."""
from typing import Any

import orjson
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.urls import reverse
from drf_spectacular.utils import extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from . import recurrence, sync, tagging
from .conditional import (if_match_holds, if_match_versions, list_etag, list_query, none_match,
                          not_modified_if_matching, task_etag, with_etag)
from .content import render_json
from .database.outages import database_outage
from .exceptions import ServiceUnavailable
from .idempotency import idempotent
from .list_bodies import list_bodies
from .listing import list_page, list_version, parse_list_request
from .models import MAX_ID, Task
from .owners import record_owner
from .params import path_id
from .permissions import IsPathOwner
from .rows import delete_task, task_row
from .sql import TaskRow, execute
from .openapi import CHANGES, HEALTH, READINESS, TAG_OPERATIONS, TASK_OPERATIONS, ObjectListSchema, TaskSchema
from .serializers import TaskSerializer, TagSerializer, TaskTagSerializer
from .writes import create_task, update_task

def found(task: TaskRow | None, status: int = 200) -> Response:
    """The task as it is, with its ETag, or the contract's 404 (no such task, or not yours)."""
    if task is None:
        raise NotFound("Task not found")
    return with_etag(Response(task, status=status), task_etag(task.change_seq))


def forget_renderer_context(response: Response) -> None:
    response.renderer_context = None


class UnlinkedResponseMixin:
    """Frees each response as soon as it is sent, and answers GET/HEAD If-None-Match."""

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        response = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        # DRF links view.response -> response -> renderer_context -> {view, response}:
        # cycles only the rare full garbage collection frees, which kept every list's rows
        # and rendered bytes alive meanwhile (a worker passed 1 GiB in 5 minutes of mixed
        # load). Unlinked, the response is freed as soon as it has been sent.
        self.response = None
        response.add_post_render_callback(forget_renderer_context)
        return not_modified_if_matching(request, response)


@extend_schema_view(**TASK_OPERATIONS)
class TaskViewSet(UnlinkedResponseMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """A user's tasks: every query names the path's user_id, which IsPathOwner has
    matched to the token's subject."""

    serializer_class = TaskSerializer
    permission_classes = [IsPathOwner]
    schema = TaskSchema()
    # Only for drf-spectacular's path parameter types; no route reads tasks through it.
    queryset = Task.objects.none()

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # authentication, permission, throttling
        # Only a request that may go on names its owner: a 401, 403 or 429 writes nothing.
        record_owner(request.auth.payload)

    def list(self, request: Request, user_id: str) -> Response:
        # Query, limit and cursor are validated first, every error at once (a 422 before a 304).
        query, page = parse_list_request(request, user_id)
        shape, asked = settings.TASK_LIST_FORMAT, list_query(request)
        # Only a whole list is kept rendered (tasks.list_bodies): a page's Link names the host.
        key = (user_id, shape, tuple((name, tuple(values)) for name, values in asked)) if page.is_whole() else None
        kept = list_bodies.get(key) if key else None
        if kept or "If-None-Match" in request.headers:
            # Without reading a task: the owner's sequence position alone says whether this
            # list can have changed since the client's copy, or since the one kept here.
            etag = list_etag(user_id, list_version(user_id), shape, asked)
            if none_match(request, etag):
                return with_etag(Response(status=304), etag)
            if kept and kept.etag == etag:
                return with_etag(Response(orjson.Fragment(kept.body)), etag)
        # Plain dicts straight to orjson: 1,000 tasks never pass through DRF fields one by one.
        as_object = shape == "object"
        tasks, count, headers = list_page(request, user_id, query, page, counted=as_object)
        etag = list_etag(user_id, tasks.version, shape, asked)
        body = render_json({"tasks": tasks, "count": count} if as_object else tasks)
        if key:
            list_bodies.put(key, etag, body)
        return with_etag(Response(orjson.Fragment(body), headers=headers), etag)

    def retrieve(self, request: Request, user_id: str, task_id: str) -> Response:
        # The row as a dict straight to orjson: the serializer renders the same bytes
        # (tests/test_task_rows.py) at about twice the cost.
        pk = path_id(task_id, "task_id")
        return found(pk and task_row(user_id, pk))

    @idempotent
    def create(self, request: Request, user_id: str) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        task = create_task(user_id, dict(serializer.validated_data))
        response = found(task, status=201)
        response["Location"] = reverse("task-detail", args=[user_id, task["id"]])
        return response

    def update(self, request: Request, user_id: str, task_id: str) -> Response:
        # PUT is the same partial update as PATCH (the original's PUT took any subset).
        return self.partial_update(request, user_id, task_id)

    def partial_update(self, request: Request, user_id: str, task_id: str) -> Response:
        pk = path_id(task_id, "task_id")
        serializer = self.get_serializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        with if_match_holds(user_id, pk, if_match_versions(request)):
            return found(pk and update_task(user_id, pk, dict(serializer.validated_data)))

    def destroy(self, request: Request, user_id: str, task_id: str) -> Response:
        pk = path_id(task_id, "task_id")
        with if_match_holds(user_id, pk, if_match_versions(request)):
            if pk is None or not delete_task(user_id, pk):
                raise NotFound("Task not found")
        return Response(status=204)

    @action(detail=True, methods=["patch"])
    def complete(self, request: Request, user_id: str, task_id: str) -> Response:
        pk = path_id(task_id, "task_id")
        with if_match_holds(user_id, pk, if_match_versions(request)):
            return found(pk and recurrence.toggle(user_id, pk))


class TagViewSet(viewsets.ViewSet):
    """A user's tags; per user exactly like tasks."""

    permission_classes = [IsPathOwner]
    schema = ObjectListSchema()

    @TAG_OPERATIONS["list"]
    def list(self, request: Request, user_id: str) -> Response:
        tags = tagging.list_tags(user_id)
        return Response({"tags": tags, "count": len(tags)})

    @TAG_OPERATIONS["create"]
    @idempotent
    def create(self, request: Request, user_id: str) -> Response:
        serializer = TagSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        return Response(tagging.create_tag(user_id, data["name"], data.get("color")), status=201)

    @TAG_OPERATIONS["destroy"]
    def destroy(self, request: Request, user_id: str, tag_id: str) -> Response:
        pk = path_id(tag_id, "tag_id")
        if pk is None or not tagging.delete_tag(user_id, pk):
            raise NotFound("Tag not found")
        return Response(status=204)


class TaskTagViewSet(viewsets.ViewSet):
    """The tags on one of the user's tasks."""

    permission_classes = [IsPathOwner]

    @TAG_OPERATIONS["attach"]
    def create(self, request: Request, user_id: str, task_id: str) -> Response:
        pk = path_id(task_id, "task_id")
        serializer = TaskTagSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        tag_id = serializer.validated_data["tag_id"]
        with if_match_holds(user_id, pk, if_match_versions(request)):
            return found(tagging.add_task_tag(user_id, pk, tag_id if 0 < tag_id <= MAX_ID else None), status=201)

    @TAG_OPERATIONS["detach"]
    def destroy(self, request: Request, user_id: str, task_id: str, tag_id: str) -> Response:
        pk = path_id(task_id, "task_id")
        tag_pk = path_id(tag_id, "tag_id")
        with if_match_holds(user_id, pk, if_match_versions(request)):
            tagging.remove_task_tag(user_id, pk, tag_pk)
        return Response(status=204)


class ChangesView(UnlinkedResponseMixin, APIView):
    """GET /api/{user_id}/changes[?since=&limit=]: the change feed (tasks.sync)."""

    permission_classes = [IsPathOwner]

    @CHANGES
    def get(self, request: Request, user_id: str) -> Response:
        limit = sync.parse_limit(request.query_params)
        return Response(sync.changes(user_id, request.query_params.get("since"), limit))


class ApiNotFoundView(APIView):
    """Any other /api/ path: authenticated first, so a bad token learns nothing."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        raise NotFound("Not found")


class LivenessView(APIView):
    """The process answers; the database is not touched."""

    authentication_classes: list[type] = []
    permission_classes: list[type] = []

    @HEALTH
    def get(self, request: Request) -> Response:
        return Response({"status": "ok"})


class ReadinessView(APIView):
    """The database answers a round trip."""

    authentication_classes: list[type] = []
    permission_classes: list[type] = []

    @READINESS
    def get(self, request: Request) -> Response:
        try:
            execute("SELECT 1")
        except (OperationalError, InterfaceError) as exc:
            database_outage.failed(exc)  # one line per outage, however often the platform probes
            raise ServiceUnavailable("Database unavailable") from exc
        return Response({"status": "ok"})

"""The contract's rows: /api/{user_id}/tasks[/{task_id}[/complete]], plus health."""
import re
from typing import Any

from django.db import InterfaceError, OperationalError, connection
from django.urls import reverse
from drf_spectacular.utils import extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .deadlines import database
from .exceptions import RequestValidationError, ServiceUnavailable
from .models import MAX_TASK_ID, Task
from .owners import record_owner
from .permissions import IsPathOwner
from .schema import HEALTH, READINESS, TASK_OPERATIONS
from .serializers import TaskSerializer

INTEGER = re.compile(r"[+-]?[0-9]+")
INT_PARSING_MESSAGE = "Input should be a valid integer, unable to parse string as an integer"


def task_pk(raw: str) -> int | None:
    """The integer in the path; None when no row can have it (zero, negative, beyond
    bigint), so `pk and query(pk)` is None for those without asking the database."""
    # ASCII digits only: Python's int() would also take "１", " 1" and "1_0".
    if not INTEGER.fullmatch(raw):
        raise RequestValidationError([{"loc": ["path", "task_id"], "msg": INT_PARSING_MESSAGE, "type": "int_parsing"}])
    digits = raw.lstrip("+-").lstrip("0")
    if raw.startswith("-") or not digits or len(digits) > len(str(MAX_TASK_ID)):
        return None
    value = int(digits)
    return value if value <= MAX_TASK_ID else None


def found(task: dict[str, Any] | None) -> Response:
    """The task as it is, or the contract's 404 (no such task, or not yours)."""
    if task is None:
        raise NotFound("Task not found")
    return Response(task)


def forget_renderer_context(response: Response) -> None:
    response.renderer_context = None


@extend_schema_view(**TASK_OPERATIONS)
class TaskViewSet(mixins.CreateModelMixin, viewsets.GenericViewSet):
    """A user's tasks: every query names the path's user_id, which IsPathOwner has
    matched to the token's subject."""

    serializer_class = TaskSerializer
    permission_classes = [IsPathOwner]
    # Only for drf-spectacular's path parameter types; no route reads tasks through it.
    queryset = Task.objects.none()

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        response = super().dispatch(request, *args, **kwargs)
        # DRF links view.response -> response -> renderer_context -> {view, response}:
        # cycles only the rare full garbage collection frees, which kept every list's rows
        # and rendered bytes alive meanwhile (a worker passed 1 GiB in 5 minutes of mixed
        # load). Unlinked, the response is freed as soon as it has been sent.
        self.response = None
        response.add_post_render_callback(forget_renderer_context)
        return response

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # authentication, permission, throttling
        # Only a request that may go on names its owner: a 401, 403 or 429 writes nothing.
        record_owner(request.auth.payload)

    def list(self, request: Request, user_id: str) -> Response:
        # Plain dicts straight to orjson: 1,000 tasks never pass through DRF fields one by one.
        return Response(Task.objects.newest_rows(user_id))

    def retrieve(self, request: Request, user_id: str, task_id: str) -> Response:
        # The row as a dict straight to orjson: the serializer renders the same bytes
        # (tests/test_task_rows.py) at about twice the cost.
        pk = task_pk(task_id)
        return found(pk and Task.objects.row(user_id, pk))

    def perform_create(self, serializer: TaskSerializer) -> None:
        serializer.save(user_id=self.kwargs["user_id"])

    def get_success_headers(self, data: dict[str, Any]) -> dict[str, str]:
        return {"Location": reverse("task-detail", args=[self.kwargs["user_id"], data["id"]])}

    def update(self, request: Request, user_id: str, task_id: str, partial: bool = False) -> Response:
        pk = task_pk(task_id)
        serializer = self.get_serializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return found(pk and Task.objects.apply_changes(user_id, pk, serializer.validated_data))

    def partial_update(self, request: Request, user_id: str, task_id: str) -> Response:
        return self.update(request, user_id, task_id, partial=True)

    def destroy(self, request: Request, user_id: str, task_id: str) -> Response:
        pk = task_pk(task_id)
        if pk is None or not Task.objects.delete_one(user_id, pk):
            raise NotFound("Task not found")
        return Response(status=204)

    @action(detail=True, methods=["patch"])
    def complete(self, request: Request, user_id: str, task_id: str) -> Response:
        pk = task_pk(task_id)
        return found(pk and Task.objects.toggle_completion(user_id, pk))


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
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except (OperationalError, InterfaceError) as exc:
            database.failed(exc)  # one line per outage, however often the platform probes
            raise ServiceUnavailable("Database unavailable") from exc
        return Response({"status": "ok"})

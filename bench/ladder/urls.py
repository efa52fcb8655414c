"""The ladder's rungs, each one piece more of a task route than the one before:

hello        a plain Django view answering a constant task as JSON (run without middleware too)
drf          + DRF's APIView: request wrapping, negotiation, renderer, no authentication
auth         + the Bearer token's verification (BetterAuthJWTAuthentication)
permission   + IsPathOwner, the throttle and the owner directory (TaskViewSet.initial)
sql          + the route's statement (tasks.rows / tasks.listing), its row as the body
route        the real route (tasks.urls): serializer, If-Match, ETag, Location, ...

Paths: /ladder/<rung>/api/<user_id>/tasks[/<task_id>]; `route` is TaskFlow's own URL.
"""
from typing import Any

import orjson
from django.http import HttpRequest, HttpResponse
from django.urls import include, path, re_path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tasks.listing import ListQuery, select_tasks
from tasks.owners import record_owner
from tasks.permissions import IsPathOwner
from tasks.rows import change_task, insert_task, task_row

TASK = {"id": 1, "user_id": "demo-user-0005", "title": "Reference", "description": None, "is_completed": False,
        "created_at": "2026-12-02T10:00:00.123456Z", "updated_at": "2026-12-02T10:00:00.123456Z",
        "priority": "medium", "due_date": None, "recurrence_pattern": None, "recurrence_end_date": None, "tags": []}


def hello(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(orjson.dumps(TASK), content_type="application/json")


class DRFView(APIView):
    """A constant task through DRF: the project's renderer, parser and negotiation."""

    authentication_classes: list[type] = []
    permission_classes: list[type] = []
    throttle_classes: list[type] = []

    def answer(self, request: Request, user_id: str, task_id: str | None = None) -> Response:
        return Response(TASK, status=201 if request.method == "POST" else 200)

    def get(self, request: Request, user_id: str, task_id: str | None = None) -> Response:
        return self.answer(request, user_id, task_id)

    def post(self, request: Request, user_id: str) -> Response:
        request.data  # parsed, as every write route does
        return self.answer(request, user_id)

    def patch(self, request: Request, user_id: str, task_id: str) -> Response:
        request.data
        return self.answer(request, user_id, task_id)


class AuthView(DRFView):
    authentication_classes = APIView.authentication_classes


class PermissionView(AuthView):
    permission_classes = [IsPathOwner]
    throttle_classes = APIView.throttle_classes

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        record_owner(request.auth.payload)  # as TaskViewSet.initial


class SQLView(PermissionView):
    """The route's one statement, its result as the body: no serializer, no ETag."""

    def answer(self, request: Request, user_id: str, task_id: str | None = None) -> Response:
        if request.method == "POST":
            return Response(insert_task(user_id, {"title": request.data["title"]}), status=201)
        if request.method == "PATCH":
            return Response(change_task(user_id, int(task_id), {"title": request.data["title"]}))  # type: ignore[arg-type]
        if task_id is None:
            return Response(list(select_tasks(user_id, ListQuery())))
        return Response(task_row(user_id, int(task_id)))


RUNGS = {"hello": hello, "drf": DRFView.as_view(), "auth": AuthView.as_view(), "permission": PermissionView.as_view(),
         "sql": SQLView.as_view()}

urlpatterns = [
    *(re_path(rf"^ladder/{name}/api/(?P<user_id>[^/]+)/tasks(?:/(?P<task_id>[^/]+))?/?$", view)
      for name, view in RUNGS.items()),
    path("", include("tasks.urls")),
]

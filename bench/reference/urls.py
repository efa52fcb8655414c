"""The references: trivial DRF APIViews, stock DRF (its JSONRenderer, its negotiation),
no authentication, permission or throttle.

bench/reference          a constant object: the yardstick of every ratio (issue 21)
bench/reference/api/<user_id>/tasks/<task_id>
                         one task's row read with Django's cursor, stock (bound on the
                         client, planned each time): what any DRF endpoint that reads one
                         row from PostgreSQL pays on this machine, the ceiling of get_one
"""
from django.db import connection
from django.urls import path
from rest_framework.exceptions import NotFound
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class TrivialView(APIView):
    """A constant JSON object of about one task's size."""

    authentication_classes: list[type] = []
    permission_classes: list[type] = []
    throttle_classes: list[type] = []
    renderer_classes = [JSONRenderer]

    def get(self, request: Request) -> Response:
        return Response({"id": 1, "title": "Reference", "is_completed": False})


class RowView(TrivialView):
    """One row of the tasks table, by id and owner, as a JSON object."""

    def get(self, request: Request, user_id: str, task_id: int) -> Response:  # type: ignore[override]
        with connection.cursor() as cursor:
            cursor.execute("SELECT id, title, is_completed, created_at, updated_at FROM tasks WHERE id = %s AND user_id = %s",
                           [task_id, user_id])
            row = cursor.fetchone()
        if row is None:
            raise NotFound()
        return Response(dict(zip(("id", "title", "is_completed", "created_at", "updated_at"), row)))


urlpatterns = [
    path("bench/reference", TrivialView.as_view()),
    path("bench/reference/api/<str:user_id>/tasks/<int:task_id>", RowView.as_view()),
]

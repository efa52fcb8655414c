"""One trivial DRF APIView: stock DRF (its JSONRenderer, its negotiation), no
authentication, permission, throttle or SQL."""
from django.urls import path
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


urlpatterns = [path("bench/reference", TrivialView.as_view())]

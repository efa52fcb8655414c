"""Who may touch which tasks."""
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView


class IsPathOwner(BasePermission):
    """The `{user_id}` in the URL must be the token's subject, exactly."""

    message = "You may only access your own tasks"

    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.id == view.kwargs.get("user_id"))

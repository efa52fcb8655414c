"""The contract's task and tag routes; each works with and without a trailing slash."""
from django.urls import re_path

from .views import ApiNotFoundView, ChangesView, TagViewSet, TaskTagViewSet, TaskViewSet

urlpatterns = [
    re_path(
        r"^api/(?P<user_id>[^/]+)/tasks/?$",
        TaskViewSet.as_view({"get": "list", "post": "create"}),
        name="task-list",
    ),
    re_path(
        r"^api/(?P<user_id>[^/]+)/tasks/(?P<task_id>[^/]+)/?$",
        TaskViewSet.as_view({"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"}),
        name="task-detail",
    ),
    re_path(
        r"^api/(?P<user_id>[^/]+)/tasks/(?P<task_id>[^/]+)/complete/?$",
        TaskViewSet.as_view({"patch": "complete"}),
        name="task-complete",
    ),
    re_path(
        r"^api/(?P<user_id>[^/]+)/tasks/(?P<task_id>[^/]+)/tags/?$",
        TaskTagViewSet.as_view({"post": "create"}),
        name="task-tags",
    ),
    re_path(
        r"^api/(?P<user_id>[^/]+)/tasks/(?P<task_id>[^/]+)/tags/(?P<tag_id>[^/]+)/?$",
        TaskTagViewSet.as_view({"delete": "destroy"}),
        name="task-tag-detail",
    ),
    re_path(r"^api/(?P<user_id>[^/]+)/tags/?$", TagViewSet.as_view({"get": "list", "post": "create"}), name="tag-list"),
    re_path(
        r"^api/(?P<user_id>[^/]+)/tags/(?P<tag_id>[^/]+)/?$", TagViewSet.as_view({"delete": "destroy"}), name="tag-detail"
    ),
    re_path(r"^api/(?P<user_id>[^/]+)/changes/?$", ChangesView.as_view(), name="task-changes"),
    # Anything else under /api/ is a JSON 404, after authentication like every API route.
    re_path(r"^api(?:/.*)?$", ApiNotFoundView.as_view(), name="api-not-found"),
]

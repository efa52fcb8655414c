"""Top-level routes: the API, health, docs, and the admin."""
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularSwaggerView

from tasks.views import LivenessView, ReadinessView

urlpatterns = [
    path("", include("tasks.urls")),
    path("", include("accounts.urls")),
    re_path(r"^health/?$", LivenessView.as_view(), name="health"),
    re_path(r"^health/ready/?$", ReadinessView.as_view(), name="health-ready"),
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="openapi"),
    re_path(r"^docs/?$", SpectacularSwaggerView.as_view(url_name="openapi"), name="docs"),
    path("admin/", admin.site.urls),
]

handler400 = "tasks.handlers.bad_request"
handler403 = "tasks.handlers.permission_denied"
handler404 = "tasks.handlers.not_found"
handler500 = "tasks.handlers.server_error"

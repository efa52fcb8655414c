"""The app's middleware: one JSON log line per request with a request id on every
response and error log line (RequestLogMiddleware), and the admin's own middleware
chain, run for /admin/ only (AdminOnlyMiddleware).

On the hot path: no database, no serialising of bodies; the route template is cached.

The API authenticates by bearer token and sets no cookie; running the session, CSRF,
auth and messages middleware on each of its requests cost ~65 µs of a ~400 µs GET
(bench/RESULTS.md) and added `Vary: Cookie`. Django has no per-path middleware, so
AdminOnlyMiddleware runs ADMIN_MIDDLEWARE as a chain of its own for the admin's URL
prefix, exactly as if they were listed in MIDDLEWARE there, hooks included.
"""
import functools
import hashlib
import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.handlers.exception import convert_exception_to_response
from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, reverse
from django.utils.module_loading import import_string
from rest_framework_simplejwt.models import TokenUser

from .logs import request_id_var

logger = logging.getLogger("tasks.requests")

REQUEST_ID_HEADER = "X-Request-Id"
# Echoed into our logs and responses: only what cannot forge a log line or a header.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
_NAMED_GROUP = re.compile(r"\(\?P<(\w+)>(?:[^()]|\([^()]*\))*\)")
_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")


@functools.lru_cache(maxsize=512)
def route_template(route: str) -> str:
    """`^api/(?P<user_id>[^/]+)/tasks/?$` -> `/api/{user_id}/tasks` (ids never reach the log)."""
    template = _CONVERTER.sub(r"{\1}", _NAMED_GROUP.sub(r"{\1}", route))
    template = template.replace("^", "").replace("$", "").replace("(?:/.*)?", "/*").replace("/?", "")
    return "/" + template.replace("\\", "").lstrip("/")


def subject_hash(sub: str) -> str:
    """A short, stable pseudonym of a Better Auth subject: `sha256(sub)[:12]`."""
    return hashlib.sha256(sub.encode()).hexdigest()[:12]


class RequestLogMiddleware:
    """Outermost middleware: times the whole request and stamps its id on everything."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if SANE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]  # for logs after the chain
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            match = request.resolver_match
            # DRF stores its user on the request; type() so that Django's lazy session
            # user (admin pages) is never evaluated, which would query the database.
            user = request.__dict__.get("user")
            fields = {
                "method": request.method,
                "route": route_template(match.route) if match else None,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                "user": subject_hash(user.id) if issubclass(type(user), TokenUser) else None,
            }
            logger.info("%s %s %s", fields["method"], fields["route"], fields["status"], extra={"fields": fields})
            return response
        finally:
            request_id_var.reset(token)


# --- The admin's middleware, for /admin/ only ----------------------------------------------
@functools.cache
def admin_prefix() -> str:
    """"/admin/", from taskflow/urls.py; a URLconf without the admin (bench/reference)
    has no prefix that a path could start with."""
    try:
        return reverse("admin:index")
    except NoReverseMatch:
        return "\0"  # no request path contains NUL


class AdminOnlyMiddleware:
    """ADMIN_MIDDLEWARE for requests under the admin's prefix; every other request skips them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        # Built as Django's BaseHandler.load_middleware builds MIDDLEWARE: innermost
        # first, each wrapped so that an exception becomes a response at its level.
        handler = convert_exception_to_response(get_response)
        self.chain: list[Any] = []
        for path in reversed(settings.ADMIN_MIDDLEWARE):
            middleware = import_string(path)(handler)
            self.chain.insert(0, middleware)
            handler = convert_exception_to_response(middleware)
        self.admin_handler = handler

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(admin_prefix()):
            return self.admin_handler(request)
        return self.get_response(request)

    # Django calls these hooks of the middleware in MIDDLEWARE only; for the admin they
    # are passed on to the chain, in the order Django would (views top-down, the rest
    # bottom-up).
    def process_view(self, request: HttpRequest, view: Callable, args: Any, kwargs: Any) -> HttpResponse | None:
        if not request.path_info.startswith(admin_prefix()):
            return None
        for middleware in self.chain:
            if hasattr(middleware, "process_view"):
                response = middleware.process_view(request, view, args, kwargs)
                if response is not None:
                    return response
        return None

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not request.path_info.startswith(admin_prefix()):
            return None
        for middleware in reversed(self.chain):
            if hasattr(middleware, "process_exception"):
                response = middleware.process_exception(request, exception)
                if response is not None:
                    return response
        return None

    def process_template_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if not request.path_info.startswith(admin_prefix()):
            return response
        for middleware in reversed(self.chain):
            if hasattr(middleware, "process_template_response"):
                response = middleware.process_template_response(request, response)
        return response

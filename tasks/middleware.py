"""One JSON log line per request, and a request id on every response and error log line.

On the hot path: no database, no serialising of bodies; the route template is cached.
"""
import functools
import hashlib
import logging
import re
import time
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
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

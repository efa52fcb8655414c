"""The one error mapping: every failure leaves as the contract's JSON `{"detail": ...}`.

DRF's handler is wrapped, not replaced, so it keeps setting `WWW-Authenticate` /
`Retry-After`. There is no request-wide transaction to roll back (no ATOMIC_REQUESTS,
README "Decisions"): each write is its own atomic block. Django's own error views
(handler400..500 in taskflow/urls.py) live here too.
"""
import logging
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, JsonResponse
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from .database.outages import database_outage
from .exceptions import RequestTooLarge, RequestValidationError, ServiceUnavailable

logger = logging.getLogger("tasks.errors")


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's EXCEPTION_HANDLER: map, then let DRF's handler render."""
    # Connection trouble and timeouts are an outage (503); errors in our SQL or data stay 500s.
    if isinstance(exc, (OperationalError, InterfaceError)):
        database_outage.failed(exc)  # logged once per outage, not per request
        exc = ServiceUnavailable("Database unavailable")
    elif isinstance(exc, RequestDataTooBig):
        # Nothing of the body is read: gunicorn (taskflow.server.workers) drains a small rest
        # or closes the connection after this answer.
        exc = RequestTooLarge()
    response = drf_exception_handler(exc, context)
    if response is None:
        logger.error("Unhandled error", exc_info=exc)
        return Response({"detail": "Internal server error"}, status=500)
    if getattr(exc, "etag", None):
        response["ETag"] = exc.etag  # 412: the task's current version (RFC 9110 §13.1.1)
    if response.status_code == status.HTTP_401_UNAUTHORIZED:
        # The contract: a 401 carries no Allow, which would tell an unauthenticated client
        # that the route exists and what it takes. DRF's finalize_response adds the view's
        # default headers after this handler, so they are dropped at their source.
        view = context.get("view")
        getattr(view, "headers", {}).pop("Allow", None)
    if isinstance(exc, RequestValidationError):
        response.data = {"detail": exc.errors}
    elif isinstance(exc, ValidationError):
        response.status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
        response.data = {"detail": body_error_items(exc.get_full_details())}
    return response


def body_error_items(details: dict[str, Any] | list[Any]) -> list[dict[str, Any]]:
    """DRF's error details as FastAPI's list of `{loc, msg, type}` under `body`; errors of
    a list's items (a dict by index) get the index in their loc: ["body", "tags", 0]."""
    by_field = details if isinstance(details, dict) else {api_settings.NON_FIELD_ERRORS_KEY: details}
    return [
        {"loc": loc, "msg": str(error["message"]), "type": str(error["code"])}
        for field, errors in by_field.items()
        for loc, error in _located(["body"] if field == api_settings.NON_FIELD_ERRORS_KEY else ["body", field], errors)
    ]


def _located(loc: list[Any], errors: Any) -> list[tuple[list[Any], dict[str, Any]]]:
    if isinstance(errors, dict) and "code" not in errors:
        return [item for key, nested in errors.items() for item in _located([*loc, key], nested)]
    return [(loc, error) for error in (errors if isinstance(errors, list) else [errors])]


# --- Django's own error views, for what never reaches DRF (unknown non-API paths, bad hosts) ---
def bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse({"detail": "Bad request"}, status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse({"detail": "Forbidden"}, status=403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse({"detail": "Not found"}, status=404)


def server_error(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"detail": "Internal server error"}, status=500)

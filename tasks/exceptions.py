"""The one error mapping: every failure leaves as the contract's JSON `{"detail": ...}`.

DRF's handler is wrapped, not replaced, so it keeps rolling back the request's
transaction and setting `WWW-Authenticate` / `Retry-After`.
"""
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import UnreadablePostError
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, JsonResponse
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

logger = logging.getLogger("tasks.errors")


class RequestValidationError(APIException):
    """A 422 whose items are already in the contract's `{loc, msg, type}` shape."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "Validation error"

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__()
        self.errors = errors


class ServiceUnavailable(APIException):
    """Our outage, not the client's mistake: retry later (503 + Retry-After)."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Service temporarily unavailable"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail)
        self.wait = settings.RETRY_AFTER_SECONDS  # DRF's handler turns `wait` into Retry-After


class RequestTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE

    def __init__(self) -> None:
        super().__init__(f"Request body larger than {settings.MAX_BODY_BYTES} bytes")


class RequestTimeout(APIException):
    """The client stopped sending its body (CLIENT_TIMEOUT_SECONDS without a byte)."""

    status_code = status.HTTP_408_REQUEST_TIMEOUT
    default_detail = "Request body not received in time"


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's EXCEPTION_HANDLER: map, then let DRF's handler render."""
    # Connection trouble and timeouts are an outage (503); errors in our SQL or data stay 500s.
    if isinstance(exc, (OperationalError, InterfaceError)):
        from .deadlines import database

        database.failed(exc)  # logged once per outage, not per request
        exc = ServiceUnavailable("Database unavailable")
    elif isinstance(exc, RequestDataTooBig):
        # Nothing of the body is read: gunicorn (taskflow.workers) drains a small rest
        # or closes the connection after this answer.
        exc = RequestTooLarge()
    elif isinstance(exc, UnreadablePostError):
        exc = RequestTimeout()
    response = drf_exception_handler(exc, context)
    if response is None:
        logger.error("Unhandled error", exc_info=exc)
        set_rollback()
        return Response({"detail": "Internal server error"}, status=500)
    if isinstance(exc, RequestValidationError):
        response.data = {"detail": exc.errors}
    elif isinstance(exc, ValidationError):
        response.status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
        response.data = {"detail": body_error_items(exc.get_full_details())}
    return response


def body_error_items(details: dict[str, Any] | list[Any]) -> list[dict[str, Any]]:
    """DRF's error details as FastAPI's list of `{loc, msg, type}` under `body`."""
    by_field = details if isinstance(details, dict) else {api_settings.NON_FIELD_ERRORS_KEY: details}
    return [
        {
            "loc": ["body"] if field == api_settings.NON_FIELD_ERRORS_KEY else ["body", field],
            "msg": str(error["message"]),
            "type": str(error["code"]),
        }
        for field, errors in by_field.items()
        for error in (errors if isinstance(errors, list) else [errors])
    ]


# --- Django's own error views, for what never reaches DRF (unknown non-API paths, bad hosts) ---
def bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse({"detail": "Bad request"}, status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse({"detail": "Forbidden"}, status=403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse({"detail": "Not found"}, status=404)


def server_error(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"detail": "Internal server error"}, status=500)

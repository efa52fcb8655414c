"""TaskFlow's API exceptions, DRF-style: raise them anywhere; tasks.handlers renders them.

Only DRF's exception classes are imported here (never rest_framework.views, which loads
the authentication classes that raise these): any module may import this one at the top.
"""
from typing import Any

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException


def error_item(loc: list[str | int], msg: str, type_: str) -> dict[str, Any]:
    """One item of a 422's `detail` list, in FastAPI's shape."""
    return {"loc": loc, "msg": msg, "type": type_}


def literal_message(choices: list[str]) -> str:
    """Pydantic's message for a value that is none of `choices`."""
    quoted = [f"'{choice}'" for choice in choices]
    return f"Input should be {', '.join(quoted[:-1])} or {quoted[-1]}"


class RequestValidationError(APIException):
    """A 422 whose items are already in the contract's `{loc, msg, type}` shape (error_item)."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "Validation error"

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__()
        self.errors = errors

    @classmethod
    def at(cls, loc: list[str | int], msg: str, type_: str) -> "RequestValidationError":
        """The 422 of one bad value."""
        return cls([error_item(loc, msg, type_)])


class Conflict(APIException):
    """The request is well-formed but clashes with what exists (a tag name taken, a tag
    already on the task, an Idempotency-Key whose first request is still running)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "Conflict"


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

"""What /openapi.json says beyond what drf-spectacular infers: the Bearer scheme, the
error shapes and headers of every contract row, and routes listed once each."""
import re
from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers

from .serializers import TaskSerializer

HIDDEN_ROUTES = {"^api(?:/.*)?$"}


def only_api_routes(endpoints: list[tuple[str, str, str, Any]], **kwargs: Any) -> list[tuple[str, str, str, Any]]:
    """Document the contract's routes once each: no catch-all, no docs views, no slash suffix
    (each route accepts both forms; DRF renders our optional "/?" as "/")."""
    return [
        (path.rstrip("/"), regex, method, callback)
        for path, regex, method, callback in endpoints
        if regex not in HIDDEN_ROUTES and (path.startswith("/api/") or path.startswith("/health"))
    ]


class BetterAuthBearerScheme(OpenApiAuthenticationExtension):
    target_class = "tasks.authentication.BetterAuthJWTAuthentication"
    name = "BetterAuthBearer"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "A Better Auth JWT: HS256 with BETTER_AUTH_SECRET, or signed by a key of its JWKS.",
        }


Error = inline_serializer("Error", {"detail": serializers.CharField()})
ValidationError = inline_serializer(
    "ValidationError",
    {
        "detail": inline_serializer(
            "ValidationErrorItem",
            {
                "loc": serializers.ListField(child=serializers.CharField(), help_text='e.g. ["body", "title"]'),
                "msg": serializers.CharField(),
                "type": serializers.CharField(help_text="Pydantic v2's error type, e.g. string_too_short"),
            },
            many=True,
        )
    },
)
Health = inline_serializer("Health", {"status": serializers.CharField()})

WWW_AUTHENTICATE = OpenApiParameter("WWW-Authenticate", str, OpenApiParameter.HEADER, response=[401], description="Bearer")
RETRY_AFTER = OpenApiParameter("Retry-After", int, OpenApiParameter.HEADER, response=[429, 503], description="Seconds")
ALLOW = OpenApiParameter("Allow", str, OpenApiParameter.HEADER, response=[405], description="The allowed methods")
LOCATION = OpenApiParameter("Location", str, OpenApiParameter.HEADER, response=[201], description="The new task's URL")
TASK_ID = OpenApiParameter("task_id", int, OpenApiParameter.PATH, description="The task's id")

COMMON_ERRORS = {
    401: OpenApiResponse(Error, "Invalid authorization header / Token expired / Invalid token"),
    403: OpenApiResponse(Error, "The {user_id} in the path is not the token's subject"),
    405: OpenApiResponse(Error, "Method not allowed"),
    429: OpenApiResponse(Error, "Too many requests"),
    500: OpenApiResponse(Error, "Internal server error"),
    503: OpenApiResponse(Error, "Database (or key server) unavailable; retry after Retry-After seconds"),
}
BODY_ERRORS = {
    400: OpenApiResponse(Error, "Body is not valid JSON"),
    413: OpenApiResponse(Error, "Body larger than the configured limit"),
    415: OpenApiResponse(Error, "Body is not application/json"),
    422: OpenApiResponse(ValidationError, "Validation error"),
}
NOT_FOUND = {404: OpenApiResponse(Error, "Task not found (or not yours)")}
PATH_ERRORS = {422: OpenApiResponse(ValidationError, "task_id is not an integer"), **NOT_FOUND}
HEADERS = [WWW_AUTHENTICATE, RETRY_AFTER, ALLOW]


def _operation(summary: str, responses: dict[int, Any], detail: bool = True, headers: tuple = (), **kwargs: Any) -> Any:
    parameters = [*HEADERS, *headers, *([TASK_ID] if detail else [])]
    return extend_schema(summary=summary, responses={**responses, **COMMON_ERRORS}, parameters=parameters, **kwargs)


TASK_OPERATIONS = {
    "list": _operation("List the user's tasks, newest first", {200: TaskSerializer(many=True)}, detail=False),
    "create": _operation(
        "Create a task",
        {201: TaskSerializer, **BODY_ERRORS},
        detail=False,
        headers=(LOCATION,),
    ),
    "retrieve": _operation("Get a task", {200: TaskSerializer, **PATH_ERRORS}),
    "update": _operation("Replace a task's fields (title required)", {200: TaskSerializer, **BODY_ERRORS, **NOT_FOUND}),
    "partial_update": _operation(
        "Change any subset of title, description, is_completed; {} changes nothing",
        {200: TaskSerializer, **BODY_ERRORS, **NOT_FOUND},
    ),
    "destroy": _operation("Delete a task", {204: None, **PATH_ERRORS}),
    "complete": _operation("Toggle is_completed", {200: TaskSerializer, **PATH_ERRORS}, request=None),
}
HEALTH = extend_schema(summary="Liveness: the process answers (no database)", responses={200: Health})
READINESS = extend_schema(
    summary="Readiness: the database answers",
    responses={200: Health, 503: OpenApiResponse(Error, "Database unavailable")},
    parameters=[RETRY_AFTER],
)


EMPTY_STRING_OPTION = {"type": "string", "maxLength": 0}


def blank_is_in_the_pattern(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """Undo drf-spectacular's `oneOf: [<pattern>, {maxLength: 0}]` for blank-allowed strings
    whose pattern already matches "": under oneOf, "" matches both branches and so neither,
    and the schema would call a valid empty description invalid."""

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            options = node.get("oneOf")
            if (isinstance(options, list) and len(options) == 2 and options[1] == EMPTY_STRING_OPTION
                    and "pattern" in options[0] and re.search(options[0]["pattern"], "")):
                node.update(node.pop("oneOf")[0])
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(result)
    return result

"""What /openapi.json says beyond what drf-spectacular infers: the Bearer scheme, the
error shapes and headers of every contract row, and routes listed once each."""
import re
from typing import Any

from django.conf import settings
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerFieldExtension
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers

from .fields import MAX_TAGS_PER_TASK, TagNamesField
from .listing import MAX_LIMIT as MAX_PAGE, ORDERS, SORTS
from .models import Priority
from .moments import SCHEMA_PATTERN
from .serializers import TagSerializer, TaskSerializer, TaskTagSerializer
from .sync import MAX_LIMIT as MAX_CHANGES, TOKEN_PATTERN

HIDDEN_ROUTES = {"^api(?:/.*)?$"}


def only_api_routes(endpoints: list[tuple[str, str, str, Any]], **kwargs: Any) -> list[tuple[str, str, str, Any]]:
    """Document the contract's routes once each: no catch-all, no docs views, no slash suffix
    (each route accepts both forms; DRF renders our optional "/?" as "/")."""
    return [
        (path.rstrip("/"), regex, method, callback)
        for path, regex, method, callback in endpoints
        if regex not in HIDDEN_ROUTES and path.startswith(("/api/", "/health", "/auth/"))
    ]


class BetterAuthBearerScheme(OpenApiAuthenticationExtension):
    target_class = "tasks.auth.authentication.BetterAuthJWTAuthentication"
    name = "BetterAuthBearer"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                "description": "A Better Auth JWT: HS256 with BETTER_AUTH_SECRET, or signed by a key of its JWKS."}


class TagNamesSchema(OpenApiSerializerFieldExtension):
    """Tag names in a request; the tags themselves ({id, name, color}) in a response."""

    target_class = "tasks.fields.TagNamesField"

    def map_serializer_field(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        if direction == "request":
            return {"type": "array", "maxItems": MAX_TAGS_PER_TASK, "description": "Tag names (trimmed, 1-50 characters, no NUL); "
                    "replaces the task's tags, creating missing ones", "items": {"type": "string", "pattern": TagNamesField.name_field.schema_pattern()}}
        tag = {"type": "object", "required": ["id", "name", "color"], "properties": {
            "id": {"type": "integer"}, "name": {"type": "string"}, "color": {"type": "string", "nullable": True}}}
        return {"type": "array", "items": tag, "description": "The task's tags, by name"}


class MomentSchema(OpenApiSerializerFieldExtension):
    target_class = "tasks.fields.MomentField"

    def map_serializer_field(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        pattern = {"pattern": SCHEMA_PATTERN} if direction == "request" else {}
        return {"type": "string", "nullable": True, **pattern, "description": (
            "An instant (RFC 3339 with Z or an offset; shown in UTC with Z), a floating local time "
            "YYYY-MM-DDTHH:MM[:SS[.ffffff]] (shown without offset, seconds included), or a date YYYY-MM-DD. "
            "null or \"\" clears it" if direction == "request" else
            "As given: YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS[.ffffff] (floating) or an instant in UTC with Z")}


@extend_schema_field({"oneOf": [{"type": "string"}, {"type": "integer"}]})
class LocationPart(serializers.Field):
    """A 422's loc names fields by name and list items by index: ["body", "tags", 0]."""


Error = inline_serializer("Error", {"detail": serializers.CharField()})
ValidationError = inline_serializer(
    "ValidationError",
    {
        "detail": inline_serializer(
            "ValidationErrorItem",
            {
                "loc": serializers.ListField(child=LocationPart(), help_text='e.g. ["body", "title"] or ["body", "tags", 0]'),
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
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", {"type": "string", "pattern": "^[ -~]{1,255}$"}, OpenApiParameter.HEADER, required=False,
    description="1-255 printable ASCII characters, per user. A retry with the same key and body within 24 h "
                "answers the first answer again (Idempotent-Replayed: true) and creates nothing; another body "
                "is a 422, a retry while the first still runs a 409.",
)
IDEMPOTENT_REPLAYED = OpenApiParameter(
    "Idempotent-Replayed", str, OpenApiParameter.HEADER, response=[201], enum=["true"],
    description="Present on a replayed answer (same Idempotency-Key and body as an earlier request)",
)
TASK_ID = OpenApiParameter("task_id", int, OpenApiParameter.PATH, description="The task's id")
# Sync (API.md "Sync"): versions of a task or list, and the conditional requests on them.
ETAG = OpenApiParameter("ETag", str, OpenApiParameter.HEADER, response=[200, 201, 304, 412],
                        description="Strong tag of this task or list body (at 412: the task's current one)")
# Any string is a well-formed header here: tags this server did not issue simply do not match.
IF_NONE_MATCH = OpenApiParameter("If-None-Match", str, OpenApiParameter.HEADER,
                                 description="Entity tags (or *), comma-separated; one that matches the current ETag "
                                             "(weak comparison) answers 304 without a body, anything else is ignored")
IF_MATCH = OpenApiParameter("If-Match", str, OpenApiParameter.HEADER,
                            description="Entity tags (or *), comma-separated: write only if the task's current ETag "
                                        "is listed (strong comparison), else 412 and nothing is written; a value "
                                        "naming no current tag, malformed or empty included, is a 412")
NOT_MODIFIED = {304: OpenApiResponse(None, "Not modified: If-None-Match named the current ETag; no body")}
PRECONDITION_FAILED = {412: OpenApiResponse(Error, "Precondition failed: If-Match did not name the current ETag; "
                                                   "nothing was written")}
READ = (ETAG, IF_NONE_MATCH)
WRITE = (ETAG, IF_MATCH)
TAG_ID = OpenApiParameter("tag_id", int, OpenApiParameter.PATH, description="The tag's id")
NO_NUL = {"type": "string", "pattern": "^[^\\x00]*$"}  # a NUL in a query value is a 422
LIST_PARAMETERS = [
    OpenApiParameter("search", NO_NUL, description="Case-insensitive substring of title or description"),
    OpenApiParameter("priority", str, enum=Priority.values),
    # A whole array schema: drf-spectacular's many=True takes only basic types (W001).
    OpenApiParameter("tags", {"type": "array", "items": NO_NUL}, explode=True, style="form",
                     description="Repeatable: tasks that have all of these tag names"),
    OpenApiParameter("is_completed", bool, description="true or false"),
    OpenApiParameter("sort_by", str, enum=SORTS, default="created_at",
                     description="priority: high > medium > low; due_date: tasks without one last"),
    OpenApiParameter("order", str, enum=ORDERS, default="desc", description="Ties by id in the same direction"),
    OpenApiParameter("limit", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
                     description="1-200: a keyset page of this many tasks; without it, the whole list"),
    OpenApiParameter("cursor", {"type": "string", "minLength": 1}, description="Opaque: from the Link rel=\"next\" URL of the previous page, "
                                                "valid only with the same filters and sort"),
    OpenApiParameter("Link", str, OpenApiParameter.HEADER, response=[200],
                     description='<next page URL>; rel="next" (absolute), when a limit was given and more tasks follow'),
]

COMMON_ERRORS = {
    401: OpenApiResponse(Error, "Invalid authorization header / Token expired / Invalid token"),
    403: OpenApiResponse(Error, "The {user_id} in the path is not the token's subject"),
    405: OpenApiResponse(Error, "Method not allowed"),
    429: OpenApiResponse(Error, "Too many requests"),
    500: OpenApiResponse(Error, "Internal server error"),
    503: OpenApiResponse(Error, "Database (or key server) unavailable, or the service busy (no turn within "
                                "ADMISSION_WAIT_SECONDS); retry after Retry-After seconds"),
}
BODY_ERRORS = {
    400: OpenApiResponse(Error, "Body is not valid JSON"),
    413: OpenApiResponse(Error, "Body larger than the configured limit"),
    415: OpenApiResponse(Error, "Body is not application/json"),
    422: OpenApiResponse(ValidationError, "Validation error"),
}
IDEMPOTENCY_ERRORS = {
    409: OpenApiResponse(Error, "A request with this Idempotency-Key is still in progress"),
    422: OpenApiResponse(ValidationError, "Validation error, a bad Idempotency-Key, or a key already used "
                                          "for a different request"),
}
NOT_FOUND = {404: OpenApiResponse(Error, "Task not found (or not yours)")}
QUERY_ERRORS = {422: OpenApiResponse(ValidationError, 'A bad value of a list parameter, limit or cursor (forged, '
                                                     'or from another query), at ["query", name]')}
PATH_ERRORS = {422: OpenApiResponse(ValidationError, "task_id is not an integer"), **NOT_FOUND}
HEADERS = [WWW_AUTHENTICATE, RETRY_AFTER, ALLOW]


def _operation(summary: str, responses: dict[int, Any], detail: bool = True, headers: tuple = (), **kwargs: Any) -> Any:
    parameters = [*HEADERS, *headers, *([TASK_ID] if detail else [])]
    return extend_schema(summary=summary, responses={**responses, **COMMON_ERRORS}, parameters=parameters, **kwargs)


class ObjectListSchema(AutoSchema):
    """A list route answers what its declared response says ({"tags", "count"}), never an
    array of it, which drf-spectacular assumes of every `list` action."""

    def _is_list_view(self, serializer: Any = None) -> bool:
        if getattr(self.view, "action", None) == "list":
            return False
        return super()._is_list_view(serializer)


class TaskSchema(AutoSchema):
    """The list route answers what its declared response says: a serializer with
    many=True (the array shape) or the {"tasks", "count"} object, never an array of it."""

    def _is_list_view(self, serializer: Any = None) -> bool:
        if getattr(self.view, "action", None) == "list":
            return settings.TASK_LIST_FORMAT == "array"
        return super()._is_list_view(serializer)


def task_list_response() -> Any:
    """The list's shape in force (TASK_LIST_FORMAT), read when the schema is generated."""
    if settings.TASK_LIST_FORMAT == "object":
        return inline_serializer("TaskList", {"tasks": TaskSerializer(many=True), "count": serializers.IntegerField()})
    return TaskSerializer(many=True)


TASK_OPERATIONS = {
    "list": _operation("List the user's tasks (newest first unless sorted), filtered", {200: task_list_response(),
                       **QUERY_ERRORS, **NOT_MODIFIED}, detail=False, headers=(*LIST_PARAMETERS, *READ),
                       operation_id="api_tasks_list"),
    "create": _operation("Create a task", {201: TaskSerializer, **BODY_ERRORS, **IDEMPOTENCY_ERRORS}, detail=False,
                         headers=(LOCATION, ETAG, IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED)),
    "retrieve": _operation("Get a task", {200: TaskSerializer, **PATH_ERRORS, **NOT_MODIFIED}, headers=READ),
    "update": _operation("The same partial update as PATCH (the original's PUT took any subset)",
                         {200: TaskSerializer, **BODY_ERRORS, **NOT_FOUND, **PRECONDITION_FAILED}, headers=WRITE),
    "partial_update": _operation("Change any subset of the writable fields; {} changes nothing; is_completed true on "
                                 "an open recurring task creates its next occurrence",
                                 {200: TaskSerializer, **BODY_ERRORS, **NOT_FOUND, **PRECONDITION_FAILED}, headers=WRITE),
    "destroy": _operation("Delete a task", {204: None, **PATH_ERRORS, **PRECONDITION_FAILED}, headers=(IF_MATCH, ETAG)),
    "complete": _operation("Toggle is_completed (completing a recurring task creates its next occurrence)",
                           {200: TaskSerializer, **PATH_ERRORS, **PRECONDITION_FAILED}, request=None, headers=WRITE),
}
TagList = inline_serializer("TagList", {"tags": TagSerializer(many=True), "count": serializers.IntegerField()})
TAG_NOT_FOUND = {404: OpenApiResponse(Error, "Tag not found (or not yours)")}
TAG_PATH_ERRORS = {422: OpenApiResponse(ValidationError, "tag_id is not an integer"), **TAG_NOT_FOUND}


def _tag_operation(summary: str, responses: dict[int, Any], parameters: tuple = (), **kwargs: Any) -> Any:
    return extend_schema(summary=summary, responses={**responses, **COMMON_ERRORS}, parameters=[*HEADERS, *parameters],
                         tags=["tags"], **kwargs)


TAG_OPERATIONS = {
    "list": _tag_operation("List the user's tags, by name", {200: TagList}),
    "create": _tag_operation("Create a tag", {201: TagSerializer, **BODY_ERRORS, **IDEMPOTENCY_ERRORS,
                             409: OpenApiResponse(Error, "Tag '<name>' already exists, or a request with this "
                                                         "Idempotency-Key is still in progress")},
                             parameters=(IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED), request=TagSerializer),
    "destroy": _tag_operation("Delete a tag; it leaves every task that had it", {204: None, **TAG_PATH_ERRORS},
                              parameters=(TAG_ID,)),
    "attach": _tag_operation(
        "Put one of the user's tags on the task; answers the task",
        {201: TaskSerializer, **BODY_ERRORS, 404: OpenApiResponse(Error, "Task not found / Tag not found"),
         409: OpenApiResponse(Error, "Tag already assigned to this task"), **PRECONDITION_FAILED},
        parameters=(TASK_ID, *WRITE), request=TaskTagSerializer,
    ),
    "detach": _tag_operation(
        "Take a tag off the task",
        {204: None, 422: OpenApiResponse(ValidationError, "task_id or tag_id is not an integer"),
         404: OpenApiResponse(Error, "Task not found / Tag not assigned to this task"), **PRECONDITION_FAILED},
        parameters=(TASK_ID, TAG_ID, IF_MATCH, ETAG),
    ),
}
SYNC_TOKEN = "An opaque sync token: the `next` of an earlier answer"
CHANGES = extend_schema(
    summary="What changed: every task (no since), or the changes after a sync token, in the order they happened",
    parameters=[
        *HEADERS,
        OpenApiParameter("since", {"type": "string", "pattern": TOKEN_PATTERN}, OpenApiParameter.QUERY,
                         description=SYNC_TOKEN),
        OpenApiParameter("limit", {"type": "integer", "minimum": 1, "maximum": MAX_CHANGES}, OpenApiParameter.QUERY,
                         description="1-1000, default 1000; more: true when cut"),
    ],
    responses={
        200: inline_serializer("Changes", {
            "changes": serializers.ListField(
                child=serializers.DictField(),
                help_text='Tasks as GET shows them; a deleted task as {"id": N, "deleted": true}',
            ),
            "next": serializers.CharField(help_text="Pass as since next time"),
            "more": serializers.BooleanField(help_text="True when cut at limit: ask again with next at once"),
        }),
        410: OpenApiResponse(Error, "Sync token expired; start over without since (another user's, forged, or "
                                    "older than the tombstones kept)"),
        422: OpenApiResponse(ValidationError, "since is not a sync token, or limit is not 1-1000 (loc: query)"),
        **COMMON_ERRORS,
    },
)
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


def put_takes_what_patch_takes(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """PUT is the same partial update as PATCH (API.md: the original's PUT took any subset),
    so it documents PATCH's body: any subset, `{}` included. drf-spectacular gives PUT the
    create's body, with `title` required, and the fuzzer then called a PUT without a title
    "schema-violating request accepted" (ST201, seed 1447941644)."""
    for operations in result.get("paths", {}).values():
        if "put" in operations and "requestBody" in operations.get("patch", {}):
            operations["put"]["requestBody"] = operations["patch"]["requestBody"]
    return result

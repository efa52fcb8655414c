"""JSON in, JSON out, whatever the client's Accept header says (the contract has no
406), with orjson doing the work: the task list is the hot path."""
from typing import TYPE_CHECKING, Any, Mapping

import orjson
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from rest_framework.exceptions import ParseError
from rest_framework.metadata import SimpleMetadata
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.utils.encoders import JSONEncoder

if TYPE_CHECKING:  # rest_framework.views imports this module through its settings
    from rest_framework.views import APIView

_fallback_encoder = JSONEncoder()


class ORJSONRenderer(BaseRenderer):
    """Renders JSON; datetimes as RFC 3339 UTC with "Z" (microseconds when non-zero)."""

    media_type = "application/json"
    format = "json"
    charset = None  # JSON is UTF-8 by definition (RFC 8259 §8.1)

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Mapping | None = None) -> bytes:
        if data is None:
            return b""
        return render_json(data)


def render_json(data: Any) -> bytes:
    """The bytes ORJSONRenderer answers for `data`; an orjson.Fragment of them renders
    as themselves (a body rendered once, tasks.list_bodies)."""
    return orjson.dumps(data, default=_fallback_encoder.default, option=orjson.OPT_UTC_Z)


class ORJSONParser(BaseParser):
    """Parses a JSON body; anything that is not strict JSON is a 400."""

    media_type = "application/json"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping | None = None) -> Any:
        # DRF hands us the request itself as the stream, which skips Django's
        # DATA_UPLOAD_MAX_MEMORY_SIZE check: enforce the limit here, before reading.
        limit = settings.MAX_BODY_BYTES
        declared = int((parser_context or {})["request"].META.get("CONTENT_LENGTH") or 0)
        body = b"" if declared > limit else stream.read(limit + 1)
        if declared > limit or len(body) > limit:
            raise RequestDataTooBig(f"Request body larger than {limit} bytes")
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise ParseError(f"Invalid JSON: {exc}") from exc


class JSONOnlyNegotiation(BaseContentNegotiation):
    """Always JSON: an `Accept: text/html` client still gets the contract's body."""

    def select_parser(self, request: Request, parsers: list[BaseParser]) -> BaseParser | None:
        for parser in parsers:
            if request.content_type.split(";")[0].strip().lower() == parser.media_type:
                return parser
        return None

    def select_renderer(self, request: Request, renderers: list[BaseRenderer], format_suffix: str | None = None) -> tuple[BaseRenderer, str]:
        return renderers[0], renderers[0].media_type


class RouteMetadata(SimpleMetadata):
    """A non-preflight OPTIONS answer: the route's name, description and media types.

    DRF's SimpleMetadata also describes the serializer's fields for PUT/POST by calling
    view.get_object(), which asserts a `pk` URL keyword our routes do not have (a 500 on
    every detail route). The contract (API.md) documents the bodies; `Allow` lists the methods.
    """

    def determine_metadata(self, request: Request, view: "APIView") -> dict[str, Any]:
        return {
            "name": view.get_view_name(),
            "description": view.get_view_description(),
            "renders": [renderer.media_type for renderer in view.renderer_classes],
            "parses": [parser.media_type for parser in view.parser_classes],
        }

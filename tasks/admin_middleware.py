"""The admin's middleware (sessions, CSRF, auth, messages), run for /admin/ only.

The API authenticates by bearer token and sets no cookie; running the session, CSRF,
auth and messages middleware on each of its requests cost ~65 µs of a ~400 µs GET
(bench/RESULTS.md) and added `Vary: Cookie`. Django has no per-path middleware, so this
one middleware runs ADMIN_MIDDLEWARE as a chain of its own for the admin's URL prefix,
exactly as if they were listed in MIDDLEWARE there, hooks included.
"""
import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.handlers.exception import convert_exception_to_response
from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, reverse
from django.utils.module_loading import import_string


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

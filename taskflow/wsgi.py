"""WSGI entry point for gunicorn (see the Procfile)."""
import io
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "taskflow.settings")


def buffer_chunked_bodies(app: Callable) -> Callable:
    """Give a chunked request body a Content-Length.

    Django reads exactly CONTENT_LENGTH bytes, so a chunked body (no length) would be
    read as empty and a valid POST answered 422. gunicorn de-chunks and marks the
    stream terminated; we read it up to one byte past the limit, so an oversized body
    still gets its 413. A body that stops arriving is answered 408 here, as the API
    would (tasks.exceptions.RequestTimeout); the worker then closes the connection."""

    def application(environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if chunked and environ.get("wsgi.input_terminated") and not environ.get("CONTENT_LENGTH"):
            try:
                body = environ["wsgi.input"].read(settings.MAX_BODY_BYTES + 1)
            except OSError:  # CLIENT_TIMEOUT_SECONDS without a byte (taskflow.workers)
                start_response("408 Request Timeout", [("Content-Type", "application/json")])
                return [b'{"detail":"Request body not received in time"}']
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
        return app(environ, start_response)

    return application


def refuse_without_collected_static() -> None:
    """Production serves /static/ from collectstatic's output (whitenoise's manifest): without
    it /docs and /admin/ answer 500. Refused here, at the web start, because `migrate` and
    `collectstatic` itself must still run before the build has collected anything."""
    if settings.IS_PRODUCTION and not (Path(settings.STATIC_ROOT) / "staticfiles.json").is_file():
        sys.exit("ImproperlyConfigured: static files are not collected: run `python manage.py collectstatic "
                 "--noinput` in the build step")


application = buffer_chunked_bodies(get_wsgi_application())
refuse_without_collected_static()

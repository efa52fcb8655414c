"""WSGI entry point for gunicorn (see the Procfile)."""
import os
import sys
from pathlib import Path

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from taskflow.server.admission import admit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "taskflow.settings")


def refuse_without_collected_static() -> None:
    """Production serves /static/ from collectstatic's output (whitenoise's manifest): without
    it /docs and /admin/ answer 500. Refused here, at the web start, because `migrate` and
    `collectstatic` itself must still run before the build has collected anything."""
    if settings.IS_PRODUCTION and not (Path(settings.STATIC_ROOT) / "staticfiles.json").is_file():
        sys.exit("ImproperlyConfigured: static files are not collected: run `python manage.py collectstatic "
                 "--noinput` in the build step")


application = admit(get_wsgi_application())
refuse_without_collected_static()

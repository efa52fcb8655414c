"""WSGI entry for the reference (bench/run swaps it in for taskflow.wsgi on the web: line)."""
import os

from django.core.wsgi import get_wsgi_application

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.reference.settings"

application = get_wsgi_application()

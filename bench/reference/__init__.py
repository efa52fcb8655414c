"""The benchmark's reference: TaskFlow's settings, middleware and gunicorn start, serving
one trivial DRF view (no auth, no database): the ceiling for any DRF endpoint here.
Selected only by bench/run (`bench.reference.wsgi`); the production URLconf is untouched."""

"""The benchmark's reference: one trivial DRF view (no middleware, auth or database) on
plain gunicorn gthread 3 x 8, TaskFlow's settings otherwise: the ceiling for any DRF
endpoint here. Selected only by bench/run (`bench.reference.wsgi`); the production
URLconf is untouched."""

"""The cost ladder (issue 21): one request measured rung by rung in one process, so every
millisecond of a route has an owner. `python -m bench.ladder` (see __main__.py); the rungs'
views are in urls.py, served with TaskFlow's settings (settings.py). Never part of the
service's URLs."""

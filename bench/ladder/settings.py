"""TaskFlow's settings with the ladder's URLconf: same middleware, DRF policies, logging."""
from taskflow.settings import *  # noqa: F403 - every rung must share every production knob

ROOT_URLCONF = "bench.ladder.urls"

# One connection for the whole run, so its backend's CPU can be read from /proc.
for database in DATABASES.values():  # noqa: F405
    database["CONN_MAX_AGE"] = None

"""TaskFlow's settings with the ladder's URLconf: same middleware, DRF policies, logging."""
import os

from taskflow.settings import *  # noqa: F403 - every rung must share every production knob

ROOT_URLCONF = "bench.ladder.urls"

# One connection for the whole run, so its backend's CPU can be read from /proc: kept
# open, or (--pooled) a pool of one, taken and given back by every request as the web
# process's pool is (taskflow.settings, IS_WEB_PROCESS).
for database in DATABASES.values():  # noqa: F405
    if os.environ.get("LADDER_POOLED"):
        database["CONN_MAX_AGE"] = 0
        database["OPTIONS"]["pool"] = {"min_size": 1, "max_size": 1, "timeout": 10}
    else:
        database["CONN_MAX_AGE"] = None

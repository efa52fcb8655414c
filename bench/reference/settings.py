"""TaskFlow's settings with the reference URLconf: same middleware, renderer, logging."""
from taskflow.settings import *  # noqa: F403 - the reference must share every production knob

ROOT_URLCONF = "bench.reference.urls"

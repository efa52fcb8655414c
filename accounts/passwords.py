"""Running the password hasher without stalling the web worker.

The Procfile's gunicorn runs gevent workers (taskflow/gunicorn.py patches everything):
one process serves all its requests in greenlets on one OS thread, so a PBKDF2 hash
(about 0.3-0.8 s here, by design) would hold every other request of that worker. hashlib
releases the GIL while it hashes, so the hash runs on gevent's thread pool (real OS
threads) and the worker serves others meanwhile. Measured with one worker and six
parallel logins (a hash took 0.21-0.23 s): /health answered in 3-10 ms, against
170-410 ms with the hash on the worker's own thread (accounts/tests/test_service.py). Only pure hashing goes there: Django's database
connections belong to the greenlet that holds a turn (taskflow/admission.py).
"""
from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib.auth import hashers

T = TypeVar("T")


def off_the_loop(function: Callable[..., T], *args: Any) -> T:
    try:
        from gevent import get_hub, monkey
    except ImportError:  # pragma: no cover - gevent is a runtime dependency
        return function(*args)
    if not monkey.is_module_patched("threading"):
        return function(*args)  # manage.py, tests: an ordinary thread
    return get_hub().threadpool.apply(function, args)


def hash_password(password: str | None) -> str:
    return off_the_loop(hashers.make_password, password)


def password_matches(password: str, encoded: str) -> bool:
    return off_the_loop(hashers.check_password, password, encoded)


def needs_rehash(encoded: str) -> bool:
    """An adopted bcrypt hash (or an older work factor): re-hash with the default."""
    hasher = hashers.identify_hasher(encoded)
    return hasher.algorithm != hashers.get_hasher().algorithm or hasher.must_update(encoded)

"""Schemathesis hooks for tasks/fuzz/run (loaded through SCHEMATHESIS_HOOKS)."""
import os
import uuid
from collections.abc import MutableMapping
from typing import Any

import schemathesis

UNAUTHENTICATED_DETAILS = {"Invalid authorization header", "Invalid token", "Token expired"}


@schemathesis.check
def unauthenticated_learns_nothing(ctx: Any, response: Any, case: Any) -> bool | None:
    """Without a token, every /api/ answer is the contract's 401: detail, WWW-Authenticate, no Allow."""
    if os.environ.get("FUZZ_UNAUTHENTICATED") != "1" or not case.path.startswith("/api/"):
        return None
    if response.status_code != 401:
        raise AssertionError(f"expected 401 without a token, got {response.status_code}")
    body = response.json()
    if not isinstance(body, dict) or body.get("detail") not in UNAUTHENTICATED_DETAILS:
        raise AssertionError(f"401 without the contract's detail: {body!r}")
    if response.headers.get("www-authenticate") not in (["Bearer"], "Bearer"):
        raise AssertionError("401 without WWW-Authenticate: Bearer")
    if "allow" in {name.lower() for name in response.headers}:
        raise AssertionError("401 with an Allow header")
    return True


# Values only the server can make: a schema states their shape, but a well-formed forgery
# is still the contract's 422, which no generated "valid" value can avoid. Negative cases
# keep sending garbage; the suite tests real cursors and keys (test_pages, test_idempotency).
MAX_KEY = 255


@schemathesis.hook
def before_call(ctx: Any, case: Any, kwargs: Any) -> None:
    """In positive cases: no cursor (only a Link header's next URL has a valid one), and an
    Idempotency-Key made unique per request: a generated key used twice would be the
    contract's 422 (another body) or a replay of an answer whose resource may since be
    deleted (the stateful phase then calls it missing)."""
    meta = getattr(case, "meta", None)
    if meta is None or not meta.generation.mode.is_positive:
        return
    # Both are mutable mappings (headers a case-insensitive one), edited in place as the hook API asks.
    if isinstance(case.query, MutableMapping):
        case.query.pop("cursor", None)
    headers = case.headers if isinstance(case.headers, MutableMapping) else {}
    for name in list(headers):
        if name.lower() == "idempotency-key" and isinstance(headers[name], str):
            headers[name] = f"{headers[name][:MAX_KEY - 33]}-{uuid.uuid4().hex}"
    if isinstance(case.body, MutableMapping):
        for name, value in ACCOUNT_VALUES.items():
            if isinstance(case.body.get(name), str):
                case.body[name] = value()


# /auth/: a schema states a password's length, not Django's validators (common, numeric,
# too close to the e-mail), nor what an e-mail address is; a generated value they refuse
# is the contract's 422. Positive cases get values that pass them; negative ones keep garbage.
ACCOUNT_VALUES = {
    "email": lambda: f"fuzz-{uuid.uuid4().hex[:12]}@example.com",
    "password": lambda: f"fuzz passphrase {uuid.uuid4().hex}",
    "new_password": lambda: f"fuzz passphrase {uuid.uuid4().hex}",
}

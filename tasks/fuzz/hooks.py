"""Schemathesis hooks for tasks/fuzz/run (loaded through SCHEMATHESIS_HOOKS)."""
import os
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

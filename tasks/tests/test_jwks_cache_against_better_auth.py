"""JWKSCache against a real Better Auth: its tokens verify, survive a JWKS outage, and rotate."""

from __future__ import annotations

import time
from collections.abc import Iterator

import jwt
import pytest

from tasks.auth.jwks import JWKSCache, JWKSUnavailable, key_matches_algorithm
from tasks.tests.betterauth.harness import BetterAuthHarness


@pytest.fixture(scope="module")
def better_auth() -> Iterator[BetterAuthHarness]:
    with BetterAuthHarness("EdDSA") as running:
        yield running


def verify(token: str, cache: JWKSCache, harness: BetterAuthHarness) -> dict:
    header = jwt.get_unverified_header(token)
    key = cache.signing_key(header["kid"])
    assert key_matches_algorithm(key, header["alg"])
    return jwt.decode(token, key, algorithms=[harness.alg], audience=harness.issuer, issuer=harness.issuer)


def test_outage_then_rotation(better_auth: BetterAuthHarness) -> None:
    cache = JWKSCache(better_auth.jwks_url, refetch_interval=0.2, timeout=1.0)
    user = better_auth.user()
    better_auth.reset_count()
    assert verify(user["token"], cache, better_auth)["sub"] == user["sub"]

    better_auth.stop_jwks()
    time.sleep(0.25)
    # Known key: still verifies with the JWKS down.
    assert verify(better_auth.token(user["sub"]), cache, better_auth)["sub"] == user["sub"]
    better_auth.rotate()
    rotated = better_auth.token(user["sub"])
    # New key while down: our outage, not the user's bad token.
    with pytest.raises(JWKSUnavailable):
        verify(rotated, cache, better_auth)

    better_auth.start_jwks()
    time.sleep(0.25)
    assert verify(rotated, cache, better_auth)["sub"] == user["sub"]
    assert better_auth.jwks_requests() == 2  # first sight, then the rotated kid

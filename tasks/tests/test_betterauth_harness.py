"""The Better Auth harness mints real tokens that PyJWT verifies against its real JWKS."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
import requests

from tasks.tests.betterauth import harness as harness_module
from tasks.tests.betterauth.harness import BetterAuthHarness, HarnessError

BASE_URL = "http://localhost:3000"


@pytest.fixture(scope="module", params=["EdDSA", "RS256"])
def better_auth(request: pytest.FixtureRequest) -> Iterator[BetterAuthHarness]:
    with BetterAuthHarness(request.param) as running:
        yield running


def verify(token: str, harness: BetterAuthHarness, **options: object) -> dict:
    # A fresh client each time: PyJWKClient's own cache would hide a rotated key.
    key = jwt.PyJWKClient(harness.jwks_url).get_signing_key_from_jwt(token)
    return jwt.decode(token, key, algorithms=[harness.alg], audience=BASE_URL, issuer=BASE_URL, **options)


def test_user_token_verifies_against_the_jwks(better_auth: BetterAuthHarness) -> None:
    user = better_auth.user(email="ada@example.com", name="Ada Lovelace")

    claims = verify(user["token"], better_auth)

    assert jwt.get_unverified_header(user["token"]) == {
        "alg": better_auth.alg,
        "kid": jwt.get_unverified_header(user["token"])["kid"],
    }
    assert claims["sub"] == claims["id"] == user["sub"]
    assert (claims["email"], claims["name"]) == ("ada@example.com", "Ada Lovelace")
    assert claims["exp"] - claims["iat"] == 900
    assert len(user["sub"]) == 32


def test_rotate_signs_the_next_token_with_the_new_kid(better_auth: BetterAuthHarness) -> None:
    user = better_auth.user()
    old_kid = jwt.get_unverified_header(user["token"])["kid"]

    new_kid = better_auth.rotate()
    token = better_auth.token(user["sub"])

    assert new_kid != old_kid
    assert jwt.get_unverified_header(token)["kid"] == new_kid
    assert verify(token, better_auth)["sub"] == user["sub"]
    served = {key["kid"] for key in requests.get(better_auth.jwks_url, timeout=5).json()["keys"]}
    assert {old_kid, new_kid} <= served


def test_sign_overrides_claims_with_the_current_key(better_auth: BetterAuthHarness) -> None:
    user = better_auth.user()
    current_kid = jwt.get_unverified_header(better_auth.token(user["sub"]))["kid"]

    foreign = better_auth.sign(sub=user["sub"], iss="https://evil.example")
    expired = better_auth.sign(sub=user["sub"], exp=int(time.time()) - 60)
    no_aud = better_auth.sign(sub=user["sub"], aud=None, header={"jku": "https://evil.example/jwks"})

    assert jwt.get_unverified_header(foreign)["kid"] == current_kid
    with pytest.raises(jwt.InvalidIssuerError):
        verify(foreign, better_auth)
    with pytest.raises(jwt.ExpiredSignatureError):
        verify(expired, better_auth)
    with pytest.raises(jwt.MissingRequiredClaimError, match="aud"):
        verify(no_aud, better_auth)
    assert jwt.get_unverified_header(no_aud)["jku"] == "https://evil.example/jwks"
    assert verify(better_auth.sign(sub=user["sub"]), better_auth)["email"] == user["email"]


def test_jwks_listener_stops_starts_and_counts(better_auth: BetterAuthHarness) -> None:
    better_auth.reset_count()
    assert requests.get(better_auth.jwks_url, timeout=5).status_code == 200

    better_auth.stop_jwks()
    with pytest.raises(requests.ConnectionError):
        requests.get(better_auth.jwks_url, timeout=5)
    better_auth.start_jwks()
    response = requests.get(better_auth.jwks_url, timeout=5)

    assert response.status_code == 200
    assert response.json()["keys"]
    assert better_auth.jwks_requests() == 2  # the refused request never reached the server


def test_hs256_token_is_signed_with_the_secret_bytes(better_auth: BetterAuthHarness) -> None:
    token = better_auth.hs256("user_a", email="a@example.com", name="A", ttl=60)

    claims = jwt.decode(token, better_auth.secret.encode(), algorithms=["HS256"])

    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}
    assert (claims["sub"], claims["email"], claims["name"]) == ("user_a", "a@example.com", "A")
    assert claims["exp"] - claims["iat"] == 60


def test_missing_node_modules_is_an_error_not_a_skip(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(harness_module, "HERE", tmp_path)

    with pytest.raises(HarnessError, match=r"npm ci --prefix tasks/tests/betterauth"):
        BetterAuthHarness()

"""A corpus of hostile tokens, each refused with the contract's detail, never a 500.

Tokens are built from raw JSON text, so that what a JSON library would refuse to write
(duplicate keys, NaN, lone surrogates) can still be sent. HS256 rows are signed with the
real secret: only the shape of the token is wrong. The sizes that gunicorn refuses before
Django sees them (a 1 MB claim) are in test_hostile_http.py.
"""
import base64
import hashlib
import hmac
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from django.conf import settings
from jwt.algorithms import OKPAlgorithm
from rest_framework.test import APIClient

from tasks.models import Owner, Task

from .test_jwks_cache import FakeJWKS, source  # noqa: F401  # `source` is a fixture

pytestmark = pytest.mark.django_db

INVALID = "Invalid token"
EXPIRED = "Token expired"
NOW = int(time.time())
SOON = NOW + 6 * 3600  # NOW is taken at collection: a slow full run must not outlive these tokens
JWKS_KEY = ed25519.Ed25519PrivateKey.generate()
JWKS_PUBLIC_JWK = {**OKPAlgorithm.to_jwk(JWKS_KEY.public_key(), as_dict=True), "alg": "EdDSA", "kid": "good-kid"}
JWKS_PUBLIC_PEM = JWKS_KEY.public_key().public_bytes(serialization.Encoding.PEM,
                                                      serialization.PublicFormat.SubjectPublicKeyInfo)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256(claims: str, header: str = '{"alg":"HS256","typ":"JWT"}', key: bytes | None = None) -> str:
    """An HS256 token over raw JSON text, signed with `key` (default: the real secret)."""
    signing_input = f"{b64(header.encode())}.{b64(claims.encode())}"
    secret = key if key is not None else settings.BETTER_AUTH_SECRET.encode()
    return f"{signing_input}.{b64(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())}"


def claims(sub: Any = "user_a", **extra: Any) -> str:
    return json.dumps({"sub": sub, "iat": NOW, "exp": SOON, **extra})


def with_dates(**dates: str) -> str:
    """Claims whose date fields are raw JSON text (NaN, 1e400, true, "...")."""
    fields = {"sub": '"user_a"', "iat": str(NOW), "exp": str(SOON), **dates}
    return "{" + ",".join(f'"{name}":{value}' for name, value in fields.items()) + "}"


def eddsa(kid: str, key: ed25519.Ed25519PrivateKey = JWKS_KEY, **extra: Any) -> str:
    return jwt.encode({"sub": "user_a", "iat": NOW, "exp": SOON, **extra}, key, algorithm="EdDSA", headers={"kid": kid})


def deeply_nested(depth: int) -> str:
    return '{"sub":"user_a","exp":%d,"x":%s}' % (SOON, "[" * depth + "]" * depth)


# exp / nbf / iat that are no NumericDate between 1970 and 9999: (claim, its raw JSON, detail, id).
BAD_DATES = [
    ("exp", "10000000000000000000", INVALID, "exp-huge"),
    ("exp", "253402300800", INVALID, "exp-year-10000"),
    ("exp", "1e400", INVALID, "exp-float-infinite"),
    ("exp", "1.0e19", INVALID, "exp-float-huge"),
    ("exp", "NaN", INVALID, "exp-nan"),
    ("exp", "Infinity", INVALID, "exp-infinity"),
    ("exp", f'"{SOON}"', INVALID, "exp-digit-string"),
    ("exp", '"tomorrow"', INVALID, "exp-string"),
    ("exp", "true", INVALID, "exp-true"),
    ("exp", "false", INVALID, "exp-false"),
    ("exp", "null", INVALID, "exp-null"),
    ("exp", "-1", INVALID, "exp-negative"),
    ("exp", f"-{SOON}", INVALID, "exp-negative-now"),
    ("exp", f"{NOW - 60}.5", EXPIRED, "exp-float-past"),
    ("nbf", "NaN", INVALID, "nbf-nan"),
    ("nbf", "true", INVALID, "nbf-true"),
    ("nbf", f'"{NOW}"', INVALID, "nbf-string"),
    ("nbf", "-1e400", INVALID, "nbf-minus-infinite"),
    ("nbf", "10000000000000000000", INVALID, "nbf-huge"),
    ("nbf", f"{NOW + 3600}.25", INVALID, "nbf-float-future"),
    ("iat", "NaN", INVALID, "iat-nan"),
    ("iat", "false", INVALID, "iat-false"),
    ("iat", '"now"', INVALID, "iat-string"),
    ("iat", "-5", INVALID, "iat-negative"),
    ("iat", "1" + "0" * 400, INVALID, "iat-400-digits"),
    ("iat", f"{NOW + 3600}.5", INVALID, "iat-float-future"),
]


# Each row: (token, detail, path's user_id). The path matches the token's sub where there
# is one, so that nothing but the token can be the reason for the refusal.
CORPUS = [
    # Algorithm confusion: HS256 with the JWKS's public key as the HMAC secret.
    pytest.param(lambda: hs256(claims(), key=JWKS_PUBLIC_PEM), INVALID, id="hs256-with-jwks-public-pem"),
    pytest.param(lambda: hs256(claims(), key=json.dumps(JWKS_PUBLIC_JWK).encode()), INVALID, id="hs256-with-jwks-public-jwk"),
    pytest.param(lambda: hs256(claims(), key=b64(JWKS_KEY.public_key().public_bytes_raw()).encode()), INVALID,
                 id="hs256-with-jwks-public-x"),
    pytest.param(lambda: hs256(claims(), '{"alg":"HS256","kid":"good-kid"}', JWKS_PUBLIC_PEM), INVALID,
                 id="hs256-naming-the-jwks-kid"),
    # Hostile kids, against a live JWKS that lacks them.
    pytest.param(lambda: eddsa("../../../../etc/passwd"), INVALID, id="kid-path-traversal"),
    pytest.param(lambda: eddsa("' OR '1'='1'; DROP TABLE tasks; --"), INVALID, id="kid-sql"),
    pytest.param(lambda: eddsa("k" * 10_240), INVALID, id="kid-10kb"),
    pytest.param(lambda: eddsa("good\x00kid"), INVALID, id="kid-nul"),
    pytest.param(lambda: eddsa("good-kid", key=ed25519.Ed25519PrivateKey.generate()), INVALID, id="kid-right-key-wrong"),
    # Header extensions we cannot honour.
    pytest.param(lambda: hs256(claims(), '{"alg":"HS256","crit":["exp"]}'), INVALID, id="crit-known-claim"),
    pytest.param(lambda: hs256(claims(), '{"alg":"HS256","crit":["x-unknown"],"x-unknown":1}'), INVALID, id="crit-unknown"),
    pytest.param(lambda: hs256(claims(), '{"alg":"HS256","b64":false,"crit":["b64"]}'), INVALID, id="b64-false"),
    pytest.param(lambda: hs256(claims(), '{"alg":"HS256","b64":false}'), INVALID, id="b64-false-without-crit"),
    # Duplicate keys: parsers disagree on which one wins.
    pytest.param(lambda: hs256(claims(), '{"alg":"none","alg":"HS256"}'), INVALID, id="duplicate-alg"),
    pytest.param(lambda: hs256(claims(), '{"alg":"HS256","kid":"a","kid":"b"}'), INVALID, id="duplicate-kid"),
    pytest.param(lambda: hs256('{"sub":"user_b","sub":"user_a","exp":%d}' % SOON), INVALID, id="duplicate-sub"),
    pytest.param(lambda: hs256('{"sub":"user_a","exp":1,"exp":%d}' % SOON), INVALID, id="duplicate-exp"),
    # Nested and odd claims.
    pytest.param(lambda: hs256(deeply_nested(5_000)), INVALID, id="claims-nested-5000-deep"),
    pytest.param(lambda: hs256('["user_a"]'), INVALID, id="claims-an-array"),
    pytest.param(lambda: hs256('"user_a"'), INVALID, id="claims-a-string"),
    pytest.param(lambda: hs256(claims(), '["HS256"]'), INVALID, id="header-an-array"),
    pytest.param(lambda: hs256(claims(sub={"id": "user_a"})), INVALID, id="sub-an-object"),
    pytest.param(lambda: hs256(claims(sub=["user_a"])), INVALID, id="sub-a-list"),
    *(pytest.param(lambda claim=claim, raw=raw: hs256(with_dates(**{claim: raw})), detail, id=case)
      for claim, raw, detail, case in BAD_DATES),
    # sub: NUL, control characters, lone surrogates, 256 characters.
    pytest.param(lambda: hs256(claims("user\x00a")), INVALID, id="sub-nul"),
    pytest.param(lambda: hs256(claims("\x00")), INVALID, id="sub-only-nul"),
    pytest.param(lambda: hs256(claims("user\x1fa")), INVALID, id="sub-unit-separator"),
    pytest.param(lambda: hs256(claims("user\na")), INVALID, id="sub-newline"),
    pytest.param(lambda: hs256(claims("user\x7fa")), INVALID, id="sub-del"),
    pytest.param(lambda: hs256(claims("user\x85a")), INVALID, id="sub-c1-next-line"),
    pytest.param(lambda: hs256('{"sub":"user\\ud800a","exp":%d}' % SOON), INVALID, id="sub-lone-surrogate"),
    pytest.param(lambda: hs256(claims("é" * 256)), INVALID, id="sub-256-two-byte-chars"),
    pytest.param(lambda: hs256(claims("😀" * 256)), INVALID, id="sub-256-four-byte-chars"),
    pytest.param(lambda: hs256(claims("")), INVALID, id="sub-empty"),
]


@pytest.fixture
def live_jwks(settings: Any, source: FakeJWKS) -> FakeJWKS:  # noqa: F811
    """A JWKS that is up and holds one Ed25519 key, so JWKS rows meet a real key set."""
    source.keys = [JWKS_PUBLIC_JWK]
    settings.BETTER_AUTH_JWKS_URL = source.url
    settings.JWKS_ISSUER = settings.JWKS_AUDIENCE = ""
    return source


def sub_in_token(token: str) -> str:
    """The path's user_id: the token's own sub when there is a readable string one."""
    try:
        sub = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "==="))["sub"]
    except (ValueError, KeyError, TypeError, IndexError, RecursionError):
        return "user_a"
    if not isinstance(sub, str) or not sub or "/" in sub or any("\ud800" <= char <= "\udfff" for char in sub):
        return "user_a"  # no path can carry it
    return sub


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize(("make", "detail"), CORPUS)
def test_hostile_token_is_refused_with_the_contract_detail(live_jwks: FakeJWKS, make: Any, detail: str,
                                                           method: str) -> None:
    token = make()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    response = client.generic(method, f"/api/{sub_in_token(token)}/tasks", '{"title": "x"}',
                              content_type="application/json")

    assert response.status_code == 401, response.content
    assert response.json() == {"detail": detail}
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert "Allow" not in response.headers
    assert not Owner.objects.exists()  # refused before anything was written


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(lambda: hs256(claims("é" * 255)), id="sub-255-two-byte-chars"),
        pytest.param(lambda: hs256(claims("😀" * 255)), id="sub-255-four-byte-chars"),
        pytest.param(lambda: hs256(with_dates(exp=f"{SOON}.75", iat=f"{NOW}.5")), id="fractional-dates"),
        pytest.param(lambda: hs256(with_dates(nbf="0")), id="nbf-1970"),
        pytest.param(lambda: eddsa("good-kid"), id="eddsa-good-kid"),
    ],
)
def test_the_edges_that_stay_valid(live_jwks: FakeJWKS, token: Any) -> None:
    """255 characters (not bytes) of `sub`, and RFC 7519's non-integer NumericDates, are fine."""
    raw = token()
    sub = sub_in_token(raw)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    response = client.post(f"/api/{sub}/tasks", {"title": "edge"}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["user_id"] == sub
    assert Task.objects.filter(user_id=sub, title="edge").count() == 1

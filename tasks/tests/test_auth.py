"""Every 401 of the contract: exact detail, `WWW-Authenticate: Bearer`, nothing learned."""
import base64
import json
import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from rest_framework.test import APIClient
from rest_framework_simplejwt.exceptions import TokenError

from tasks.auth.authentication import BetterAuthToken

pytestmark = pytest.mark.django_db

INVALID_HEADER = "Invalid authorization header"
INVALID_TOKEN = "Invalid token"
EXPIRED = "Token expired"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    return ".".join([b64(json.dumps(header).encode()), b64(json.dumps(claims).encode()), b64(signature)])


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"sub": "user_a", "iat": now, "exp": now + 300, **overrides}


def get_tasks(authorization: str | None, path: str = "/api/user_a/tasks") -> Any:
    client = APIClient()
    if authorization is not None:
        client.credentials(HTTP_AUTHORIZATION=authorization)
    return client.get(path)


def assert_401(response: Any, detail: str) -> None:
    assert response.status_code == 401
    assert response.json() == {"detail": detail}
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(None, id="no-header"),
        pytest.param("", id="empty"),
        pytest.param("Bearer", id="scheme-only"),
        pytest.param("Bearer ", id="scheme-and-space"),
        pytest.param("Basic dXNlcjpwYXNz", id="basic-scheme"),
        pytest.param("Token abc.def.ghi", id="other-scheme"),
        pytest.param("Bearer a.b.c extra", id="three-parts"),
        pytest.param("Bearerabc.def.ghi", id="no-space"),
    ],
)
def test_malformed_authorization_header_is_refused(authorization: str | None) -> None:
    assert_401(get_tasks(authorization), INVALID_HEADER)


def test_scheme_is_case_insensitive(make_token: Callable[..., str]) -> None:
    # RFC 7235 §2.1: the auth-scheme is case-insensitive.
    assert get_tasks(f"bearer {make_token()}").status_code == 200


def hs(secret_claims: dict[str, Any], secret: str, algorithm: str = "HS256", headers: dict | None = None) -> str:
    return jwt.encode(secret_claims, secret, algorithm=algorithm, headers=headers)


def tampered_payload(token: str) -> str:
    header, _, signature = token.split(".")
    return ".".join([header, b64(json.dumps(claims(sub="user_b")).encode()), signature])


def without_exp(secret: str) -> str:
    return hs({"sub": "user_a", "iat": int(time.time())}, secret)


def without_sub(secret: str) -> str:
    now = int(time.time())
    return hs({"iat": now, "exp": now + 300}, secret)


_RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # slow: make once
NOT_ALLOWED = "Algorithm not allowed"
BAD_SIGNATURE = "InvalidSignatureError: Signature verification failed"
NO_SUBJECT = "Token has no usable subject"
OWN_KEY = "Token names its own key"

# (build from the configured secret, the reason it is refused). Every case is signed with
# settings.BETTER_AUTH_SECRET, so each one is refused for its own defect, not for the signature.
INVALID_TOKENS = [
    pytest.param(lambda secret: "not-a-jwt", "Malformed token", id="garbage"),
    pytest.param(lambda secret: "a.b.c", "Malformed token", id="three-garbage-segments"),
    pytest.param(lambda secret: unsigned({"alg": "none", "typ": "JWT"}, claims()), NOT_ALLOWED, id="alg-none"),
    pytest.param(lambda secret: unsigned({"alg": "None"}, claims()), NOT_ALLOWED, id="alg-None"),
    pytest.param(lambda secret: hs(claims(), secret, "HS384"), NOT_ALLOWED, id="hs384"),
    pytest.param(lambda secret: hs(claims(), secret, "HS512"), NOT_ALLOWED, id="hs512"),
    pytest.param(lambda secret: jwt.encode(claims(), _RSA_KEY, algorithm="RS256"), NOT_ALLOWED, id="rs256-without-jwks"),
    pytest.param(lambda secret: jwt.encode(claims(), ed25519.Ed25519PrivateKey.generate(), algorithm="EdDSA"),
                 NOT_ALLOWED, id="eddsa-without-jwks"),
    pytest.param(lambda secret: hs(claims(), secret + "-but-another"), BAD_SIGNATURE, id="wrong-secret"),
    pytest.param(lambda secret: hs(claims(), secret)[:-2] + "AA", BAD_SIGNATURE, id="tampered-signature"),
    pytest.param(lambda secret: tampered_payload(hs(claims(), secret)), BAD_SIGNATURE, id="tampered-payload"),
    pytest.param(lambda secret: hs(claims(sub=None), secret), NO_SUBJECT, id="sub-null"),
    pytest.param(without_sub, NO_SUBJECT, id="sub-missing"),
    pytest.param(lambda secret: hs(claims(sub=""), secret), NO_SUBJECT, id="sub-empty"),
    pytest.param(lambda secret: hs(claims(sub="x" * 256), secret), NO_SUBJECT, id="sub-too-long"),
    pytest.param(lambda secret: hs(claims(sub=42), secret), NO_SUBJECT, id="sub-number"),
    pytest.param(without_exp, "Token has no 'exp' claim", id="exp-missing"),
    pytest.param(lambda secret: hs(claims(exp="tomorrow"), secret), "Claim 'exp' is not a date between 1970 and 9999", id="exp-not-a-number"),
    pytest.param(lambda secret: hs(claims(nbf=int(time.time()) + 3600), secret), "not yet valid (nbf)", id="nbf-in-future"),
    pytest.param(lambda secret: hs(claims(iat=int(time.time()) + 3600), secret), "not yet valid (iat)", id="iat-in-future"),
    pytest.param(lambda secret: hs(claims(), secret, headers={"jku": "https://evil.example/jwks"}), OWN_KEY, id="jku-header"),
    pytest.param(lambda secret: hs(claims(), secret, headers={"x5u": "https://evil.example/cert"}), OWN_KEY, id="x5u-header"),
    pytest.param(lambda secret: hs(claims(), secret, headers={"jwk": {"kty": "oct", "k": b64(b"k" * 32)}}), OWN_KEY,
                 id="jwk-header"),
]


def refusal_reason(token: str) -> str:
    """Why verification refuses the token: the TokenError and every exception behind it."""
    try:
        BetterAuthToken(token)
    except TokenError as error:
        chain: list[str] = []
        cause: BaseException | None = error
        while cause is not None:
            chain.append(f"{type(cause).__name__}: {cause}")
            cause = cause.__cause__
        return " <- ".join(chain)
    return "accepted"


@pytest.mark.parametrize(("build", "reason"), INVALID_TOKENS)
def test_bad_token_is_invalid_token_for_its_own_reason(settings: Any, build: Callable[[str], str], reason: str) -> None:
    token = build(settings.BETTER_AUTH_SECRET)

    assert_401(get_tasks(f"Bearer {token}"), INVALID_TOKEN)
    assert reason in refusal_reason(token)


def test_expired_token_is_token_expired(make_token: Callable[..., str]) -> None:
    assert_401(get_tasks(f"Bearer {make_token(lifetime=-60)}"), EXPIRED)


def test_leeway_accepts_a_token_expired_a_moment_ago(make_token: Callable[..., str]) -> None:
    assert get_tasks(f"Bearer {make_token(lifetime=-2)}").status_code == 200


def test_future_iat_within_leeway_is_accepted(make_token: Callable[..., str]) -> None:
    assert get_tasks(f"Bearer {make_token(iat=int(time.time()) + 3)}").status_code == 200


def test_better_auth_shaped_claims_are_accepted(make_token: Callable[..., str]) -> None:
    token = make_token(sub="0w2GTenecEkJ9iTloFMZUtOX4wInNCoh", email="ada@example.com", name="Ada",
                       emailVerified=False, image=None, createdAt="2026-11-24T05:29:17.201Z",
                       id="0w2GTenecEkJ9iTloFMZUtOX4wInNCoh", iss="http://localhost:3000", aud="http://localhost:3000")

    response = get_tasks(f"Bearer {token}", "/api/0w2GTenecEkJ9iTloFMZUtOX4wInNCoh/tasks")

    assert response.status_code == 200
    assert response.json() == []


@pytest.mark.parametrize("setting, value, claim", [("BETTER_AUTH_ISSUER", "https://auth.example.com", "iss"),
                                                     ("BETTER_AUTH_AUDIENCE", "https://app.example.com", "aud")])
def test_issuer_and_audience_are_checked_when_configured(settings: Any, make_token: Callable[..., str],
                                                         setting: str, value: str, claim: str) -> None:
    setattr(settings, setting, value)

    assert get_tasks(f"Bearer {make_token(**{claim: value})}").status_code == 200
    assert_401(get_tasks(f"Bearer {make_token(**{claim: 'https://other.example.com'})}"), INVALID_TOKEN)
    assert_401(get_tasks(f"Bearer {make_token()}"), INVALID_TOKEN)


@pytest.mark.parametrize(
    "method, path",
    [("GET", "/api/user_a/tasks"), ("POST", "/api/user_a/tasks"), ("GET", "/api/user_a/tasks/1"),
     ("PUT", "/api/user_a/tasks/1"), ("PATCH", "/api/user_a/tasks/1"), ("DELETE", "/api/user_a/tasks/1"),
     ("PATCH", "/api/user_a/tasks/1/complete"), ("GET", "/api/user_a/tasks/not-a-number"),
     ("DELETE", "/api/user_a/tasks"), ("GET", "/api/no/such/route"), ("GET", "/api"), ("OPTIONS", "/api/user_a/tasks")],
)
def test_authentication_comes_before_anything_else(method: str, path: str, make_task: Callable) -> None:
    make_task(user_id="user_a")
    response = APIClient().generic(method, path, data="{not json", content_type="application/json")

    assert_401(response, INVALID_HEADER)

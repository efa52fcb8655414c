"""The JWKS path in-process: configuration, which key may verify which alg, the 503 through
DRF's dispatch, and the operators' system check. The real Better Auth runs in
test_better_auth.py; here a loopback JWKS (test_jwks_cache.FakeJWKS) is enough."""
from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory

from tasks.auth.authentication import BetterAuthJWTAuthentication
from tasks.checks import check_jwks

from .conftest import ROOT, free_port
from .test_jwks_cache import FakeJWKS, source  # noqa: F401  # `source` is a fixture
from .test_jwks_keys import public_jwk

ORIGIN = "http://localhost:3000"
_RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # slow: make once
PRIVATE_KEYS: dict[str, Any] = {
    "Ed25519": ed25519.Ed25519PrivateKey.generate(),
    "P-256": ec.generate_private_key(ec.SECP256R1()),
    "RSA": _RSA,
}


def jwk_of(kind: str, kid: str, **extra: Any) -> dict[str, Any]:
    public = PRIVATE_KEYS[kind].public_key()
    algorithm = {"Ed25519": OKPAlgorithm, "P-256": ECAlgorithm, "RSA": RSAAlgorithm}[kind]
    return {**algorithm.to_jwk(public, as_dict=True), "kid": kid, **extra}


def signed(kind: str, alg: str, kid: str = "k1", **claims: Any) -> str:
    now = int(time.time())
    payload = {"sub": "user_a", "iat": now, "exp": now + 300, "iss": ORIGIN, "aud": ORIGIN, **claims}
    return jwt.encode(payload, PRIVATE_KEYS[kind], algorithm=alg, headers={"kid": kid})


def authenticate(token: str) -> str:
    request = Request(APIRequestFactory().get("/api/user_a/tasks", HTTP_AUTHORIZATION=f"Bearer {token}"))
    user, _ = BetterAuthJWTAuthentication().authenticate(request)
    return user.id


@pytest.fixture
def jwks_settings(settings: Any, source: FakeJWKS) -> FakeJWKS:  # noqa: F811
    settings.BETTER_AUTH_JWKS_URL = source.url
    settings.JWKS_ISSUER = settings.JWKS_AUDIENCE = ORIGIN
    settings.JWKS_REFETCH_INTERVAL_SECONDS = 0.0
    return source


# --- Configuration ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("env", "expected"),
    [
        pytest.param({}, ["", "", ""], id="hs256-only"),
        pytest.param({"BETTER_AUTH_URL": "http://localhost:3000/"},
                     ["http://localhost:3000/api/auth/jwks", ORIGIN, ORIGIN], id="root-url-slash"),
        pytest.param({"BETTER_AUTH_URL": "https://app.example.com/api/auth"},
                     ["https://app.example.com/api/auth/jwks", "https://app.example.com", "https://app.example.com"],
                     id="url-ending-in-api-auth"),
        pytest.param({"BETTER_AUTH_URL": "https://app.example.com/app"},
                     ["https://app.example.com/app/jwks", "https://app.example.com", "https://app.example.com"],
                     id="custom-base-path"),
        pytest.param({"BETTER_AUTH_URL": "https://app.example.com", "BETTER_AUTH_JWKS_URL": "http://10.0.0.5/api/auth/jwks",
                      "BETTER_AUTH_ISSUER": "https://id.example.com"},
                     ["http://10.0.0.5/api/auth/jwks", "https://id.example.com", "https://app.example.com"],
                     id="explicit-jwks-url-and-issuer"),
        pytest.param({"BETTER_AUTH_JWKS_URL": "http://10.0.0.5/jwks"}, ["http://10.0.0.5/jwks", "", ""],
                     id="jwks-url-only-checks-no-iss-aud"),
    ],
)
def test_jwks_url_issuer_and_audience_follow_better_auth(env: dict[str, str], expected: list[str]) -> None:
    assert resolved_settings(env) == expected


def resolved_settings(env: dict[str, str]) -> list[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("BETTER_AUTH_", "JWKS_"))}
    code = "from taskflow import settings as s; import json; print(json.dumps([s.BETTER_AUTH_JWKS_URL, s.JWKS_ISSUER, s.JWKS_AUDIENCE]))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def test_a_jwks_url_that_is_not_http_is_refused_at_start() -> None:
    env = {**os.environ, "BETTER_AUTH_JWKS_URL": "file:///etc/passwd"}
    done = subprocess.run([sys.executable, "-c", "import taskflow.settings"], cwd=ROOT, env=env, capture_output=True, text=True)

    assert done.returncode == 1
    assert done.stderr.strip() == "ImproperlyConfigured: BETTER_AUTH_JWKS_URL (or BETTER_AUTH_URL) must be an http(s) URL"


# --- Which key verifies which token ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("jwk", "kind", "alg", "accepted"),
    [
        pytest.param({"alg": "EdDSA"}, "Ed25519", "EdDSA", True, id="ed25519"),
        pytest.param({"alg": "ES256"}, "P-256", "ES256", True, id="p256"),
        pytest.param({}, "RSA", "RS256", True, id="rsa-without-alg-rs256"),
        pytest.param({}, "RSA", "PS256", True, id="rsa-without-alg-ps256"),
        pytest.param({"alg": "RS256"}, "RSA", "PS256", False, id="rsa-declared-rs256-refuses-ps256"),
        pytest.param({"alg": "RS256"}, "RSA", "RS384", False, id="alg-outside-the-allow-list"),
    ],
)
def test_key_type_and_declared_alg_decide(jwks_settings: FakeJWKS, jwk: dict[str, str], kind: str, alg: str, accepted: bool) -> None:
    jwks_settings.keys = [jwk_of(kind, "k1", **jwk)]
    token = signed(kind, alg)

    if accepted:
        assert authenticate(token) == "user_a"
    else:
        with pytest.raises(AuthenticationFailed, match="^Invalid token$"):
            authenticate(token)


def test_jwks_tokens_are_refused_when_no_jwks_is_configured(settings: Any) -> None:
    settings.BETTER_AUTH_JWKS_URL = ""

    with pytest.raises(AuthenticationFailed, match="^Invalid token$"):
        authenticate(signed("Ed25519", "EdDSA"))


@pytest.mark.parametrize("alg", [["EdDSA"], {"EdDSA": 1}, None, 7], ids=["list", "object", "null", "number"])
def test_an_alg_that_is_not_a_string_is_invalid_not_a_crash(jwks_settings: FakeJWKS, alg: object) -> None:
    jwks_settings.keys = [jwk_of("Ed25519", "k1", alg="EdDSA")]
    genuine = signed("Ed25519", "EdDSA").split(".")
    header = base64.urlsafe_b64encode(json.dumps({"alg": alg, "kid": "k1"}).encode()).rstrip(b"=").decode()

    with pytest.raises(AuthenticationFailed, match="^Invalid token$"):
        authenticate(".".join([header, *genuine[1:]]))


def test_hs256_tokens_are_not_held_to_the_jwks_issuer(jwks_settings: FakeJWKS, make_token: Callable[..., str]) -> None:
    # BETTER_AUTH_ISSUER/AUDIENCE unset: the origin applies to jwt() tokens only.
    assert authenticate(make_token("user_a")) == "user_a"


@pytest.mark.django_db
def test_unreachable_jwks_is_503_with_retry_after_through_drf_dispatch(settings: Any) -> None:
    settings.BETTER_AUTH_JWKS_URL = f"http://127.0.0.1:{free_port()}/api/auth/jwks"  # nothing listens
    settings.JWKS_REFETCH_INTERVAL_SECONDS = 7.5
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {signed('Ed25519', 'EdDSA')}")

    response = client.get("/api/user_a/tasks")

    assert (response.status_code, response.json()) == (503, {"detail": "Signing keys are temporarily unavailable; retry later"})
    assert response["Retry-After"] == "8"  # never sooner than the next fetch may happen


# --- The operators' check ---------------------------------------------------------------------------
def test_check_is_silent_without_a_jwks(settings: Any) -> None:
    settings.BETTER_AUTH_JWKS_URL = ""

    assert check_jwks(None) == []


@pytest.mark.parametrize(
    ("keys", "ids"),
    [
        pytest.param([{"alg": "EdDSA"}], [], id="usable"),
        pytest.param([], ["taskflow.W001"], id="no-keys"),
        pytest.param(["P-384"], ["taskflow.W002"], id="only-keys-of-other-algorithms"),
    ],
)
def test_check_reports_a_jwks_without_usable_keys(jwks_settings: FakeJWKS, keys: list[Any], ids: list[str]) -> None:
    jwks_settings.keys = [public_jwk(k) if isinstance(k, str) else jwk_of("Ed25519", "k1", **k) for k in keys]

    assert [message.id for message in check_jwks(None)] == ids


def test_check_reports_a_jwks_that_does_not_answer(jwks_settings: FakeJWKS) -> None:
    jwks_settings.go_down()

    [warning] = check_jwks(None)

    assert warning.id == "taskflow.W001"
    assert warning.msg == f"The JWKS at {jwks_settings.url} does not answer with a usable key set."


@pytest.mark.parametrize("command", [["check"], ["mint_token", "user_a"]])
def test_ordinary_commands_never_fetch_the_jwks(source: FakeJWKS, command: list[str]) -> None:  # noqa: F811
    source.mode = "500"  # would be a taskflow.W001 if anything asked

    done = manage_with_jwks(source.url, *command)

    assert source.requests == 0
    assert "taskflow.W001" not in done.stdout + done.stderr
    assert done.returncode == 0, done.stderr


def test_deploy_check_fetches_the_jwks_and_warns(source: FakeJWKS) -> None:  # noqa: F811
    source.mode = "500"

    done = manage_with_jwks(source.url, "check", "--deploy")

    assert source.requests == 1
    assert f"taskflow.W001) The JWKS at {source.url} does not answer with a usable key set." in done.stderr


def manage_with_jwks(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BETTER_AUTH_JWKS_URL": url}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)

"""Better Auth's real tokens over HTTP against the Procfile-started service: every jwt()
algorithm, bad claims and forged keys, rotation, a JWKS outage, a kid flood, and the
frontend's own HS256 tokens beside them.

Each service here is started with its harness's JWKS URL and BETTER_AUTH_URL, and the
harness shares the service's HS256 secret (conftest.PRODUCTION_SECRET).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from tasks.tests.betterauth.harness import BetterAuthHarness

from .conftest import PRODUCTION_SECRET, WebServer

pytestmark = pytest.mark.slow

FRONTEND_URL = "http://localhost:3000"
ALGORITHMS = ["EdDSA", "ES256", "RS256", "PS256"]
INVALID = {"detail": "Invalid token"}
EXPIRED = {"detail": "Token expired"}
NOT_YOURS = {"detail": "You may only access your own tasks"}
UNAVAILABLE = {"detail": "Signing keys are temporarily unavailable; retry later"}
# The stateful service below: short enough to wait out in a test.
INTERVAL = 1.0
REFRESH = 1.0


@dataclass
class Frontend:
    """A real Better Auth and the service that trusts its JWKS."""

    auth: BetterAuthHarness
    server: WebServer


def start_frontend(start_service: Callable[..., WebServer], alg: str, **env: str) -> Iterator[Frontend]:
    with BetterAuthHarness(alg, secret=PRODUCTION_SECRET, base_url=FRONTEND_URL) as auth:
        server = start_service(BETTER_AUTH_JWKS_URL=auth.jwks_url, BETTER_AUTH_URL=FRONTEND_URL, **env)
        try:
            yield Frontend(auth, server)
        finally:
            server.stop()


@pytest.fixture(scope="module", params=ALGORITHMS)
def frontend(request: pytest.FixtureRequest, start_service: Callable[..., WebServer]) -> Iterator[Frontend]:
    """One Better Auth per jwt() algorithm, with the service's default JWKS knobs."""
    yield from start_frontend(start_service, request.param)


@pytest.fixture(scope="module")
def single_worker(start_service: Callable[..., WebServer]) -> Iterator[Frontend]:
    """EdDSA, one worker process and short intervals: fetch counts are exact."""
    yield from start_frontend(
        start_service,
        "EdDSA",
        WEB_CONCURRENCY="1",
        JWKS_REFETCH_INTERVAL_SECONDS=str(INTERVAL),
        JWKS_REFRESH_SECONDS=str(REFRESH),
        JWKS_TIMEOUT_SECONDS="1",
    )


# --- Helpers -----------------------------------------------------------------------------------
def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def with_header(token: str, header: dict[str, Any]) -> str:
    """The same payload and signature under another header (the signature no longer fits)."""
    _, payload, signature = token.split(".")
    return f"{b64url(json.dumps(header).encode())}.{payload}.{signature}"


def claims_of(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def attacker_key(alg: str) -> Any:
    if alg == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    if alg == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def resigned_by_attacker(token: str) -> str:
    """The token's own claims and kid, signed by a key of the right type that is not Better Auth's."""
    header = jwt.get_unverified_header(token)
    return jwt.encode(claims_of(token), attacker_key(header["alg"]), algorithm=header["alg"], headers={"kid": header["kid"]})


def hs256_with_public_key(token: str, jwks_url: str) -> str:
    """Algorithm confusion: HS256 with the served public key (PEM) as the HMAC secret."""
    kid = jwt.get_unverified_header(token)["kid"]
    jwk = next(key for key in requests.get(jwks_url, timeout=5).json()["keys"] if key["kid"] == kid)
    pem = jwt.PyJWK(jwk).key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    # By hand: PyJWT refuses a PEM as an HMAC secret, an attacker's tooling does not.
    signing_input = f"{b64url(json.dumps({'alg': 'HS256', 'typ': 'JWT', 'kid': kid}).encode())}.{token.split('.')[1]}"
    signature = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


def create_and_list(server: WebServer, token: str, sub: str) -> tuple[requests.Response, requests.Response]:
    created = server.request("POST", f"/api/{sub}/tasks", token=token, json={"title": "Ship JWKS"})
    listed = server.request("GET", f"/api/{sub}/tasks", token=token)
    return created, listed


def assert_unauthorized(response: requests.Response, body: dict[str, str]) -> None:
    assert (response.status_code, response.json()) == (401, body)
    assert response.headers["WWW-Authenticate"] == "Bearer"


def settle() -> None:
    """Let the refetch interval pass, so the next unknown kid may be fetched."""
    time.sleep(INTERVAL + 0.2)


# --- Every jwt() algorithm -------------------------------------------------------------------------
def test_token_is_accepted_for_its_own_user(frontend: Frontend) -> None:
    user = frontend.auth.user()

    created, listed = create_and_list(frontend.server, user["token"], user["sub"])

    assert jwt.get_unverified_header(user["token"])["alg"] == frontend.auth.alg
    assert created.status_code == 201, created.text
    assert created.json()["user_id"] == user["sub"]
    assert listed.status_code == 200
    assert [task["id"] for task in listed.json()] == [created.json()["id"]]


def test_token_gets_403_on_another_users_path(frontend: Frontend) -> None:
    owner, other = frontend.auth.user(), frontend.auth.user()

    response = frontend.server.request("GET", f"/api/{other['sub']}/tasks", token=owner["token"])

    assert (response.status_code, response.json()) == (403, NOT_YOURS)


BAD_TOKENS: list[Any] = [
    pytest.param(lambda auth, sub: auth.sign(sub=sub, iss="https://evil.example"), INVALID, id="foreign-iss"),
    pytest.param(lambda auth, sub: auth.sign(sub=sub, aud="https://evil.example"), INVALID, id="foreign-aud"),
    pytest.param(lambda auth, sub: auth.sign(sub=sub, aud=None), INVALID, id="no-aud"),
    pytest.param(lambda auth, sub: auth.sign(sub=sub, expiration_time=int(time.time()) - 120), EXPIRED, id="expired"),
    pytest.param(lambda auth, sub: resigned_by_attacker(auth.sign(sub=sub)), INVALID, id="attacker-key-same-kid"),
    pytest.param(lambda auth, sub: hs256_with_public_key(auth.sign(sub=sub), auth.jwks_url), INVALID, id="hs256-with-public-key"),
    pytest.param(lambda auth, sub: auth.sign(sub=sub, header={"jku": "https://evil.example/jwks"}), INVALID, id="jku-header"),
    pytest.param(lambda auth, sub: auth.sign(sub=sub, header={"x5u": "https://evil.example/cert"}), INVALID, id="x5u-header"),
    pytest.param(lambda auth, sub: with_kid(auth.sign(sub=sub), secrets.token_urlsafe(24)), INVALID, id="unknown-kid"),
    pytest.param(lambda auth, sub: with_other_alg(auth.sign(sub=sub)), INVALID, id="alg-of-another-key-type"),
]


def with_kid(token: str, kid: str) -> str:
    return with_header(token, {**jwt.get_unverified_header(token), "kid": kid})


def with_other_alg(token: str) -> str:
    """The same kid, but an allowed alg of another key type: the key's type decides."""
    header = jwt.get_unverified_header(token)
    return with_header(token, {**header, "alg": "RS256" if header["alg"] == "ES256" else "ES256"})


@pytest.mark.parametrize(("make", "body"), BAD_TOKENS)
def test_bad_token_is_refused(frontend: Frontend, make: Callable[[BetterAuthHarness, str], str], body: dict[str, str]) -> None:
    user = frontend.auth.user()
    token = make(frontend.auth, user["sub"])

    response = frontend.server.request("GET", f"/api/{user['sub']}/tasks", token=token)
    if response.status_code == 503:
        # An unknown kid within the refetch interval of an earlier fetch: no set fetched
        # since it was first seen may call it invalid yet; after Retry-After one may.
        time.sleep(int(response.headers["Retry-After"]))
        response = frontend.server.request("GET", f"/api/{user['sub']}/tasks", token=token)

    assert_unauthorized(response, body)
    # The same user's genuine token still works: the refusal was about the token.
    assert frontend.server.request("GET", f"/api/{user['sub']}/tasks", token=user["token"]).status_code == 200


# --- Rotation, outage, flood: one worker, short intervals ------------------------------------------
def test_frontend_hs256_tokens_work_beside_jwks_tokens_in_one_process(single_worker: Frontend) -> None:
    user = single_worker.auth.user()
    # jose SignJWT with the shared secret: the Next.js route-handler pattern (no iss/aud).
    hs256 = single_worker.auth.hs256(user["sub"], email=user["email"], name=user["name"])

    created, listed = create_and_list(single_worker.server, hs256, user["sub"])
    jwks_list = single_worker.server.request("GET", f"/api/{user['sub']}/tasks", token=user["token"])

    assert jwt.get_unverified_header(hs256) == {"alg": "HS256", "typ": "JWT"}
    assert created.status_code == 201, created.text
    assert listed.status_code == jwks_list.status_code == 200
    assert listed.json() == jwks_list.json() == [created.json()]


def test_rotated_key_is_accepted_without_restart(single_worker: Frontend) -> None:
    auth, server = single_worker.auth, single_worker.server
    user = auth.user()
    settle()
    assert server.request("GET", f"/api/{user['sub']}/tasks", token=user["token"]).status_code == 200

    new_kid = auth.rotate()
    rotated = auth.token(user["sub"])
    settle()
    auth.reset_count()
    response = server.request("GET", f"/api/{user['sub']}/tasks", token=rotated)
    old_key = server.request("GET", f"/api/{user['sub']}/tasks", token=user["token"])

    assert jwt.get_unverified_header(rotated)["kid"] == new_kid != jwt.get_unverified_header(user["token"])["kid"]
    assert (response.status_code, response.json()) == (200, [])
    assert (old_key.status_code, old_key.json()) == (200, [])
    assert auth.jwks_requests() == 1  # the first request with the new kid fetched, once


def test_outage_keeps_known_keys_and_answers_503_for_new_ones(single_worker: Frontend) -> None:
    auth, server = single_worker.auth, single_worker.server
    user = auth.user()
    path = f"/api/{user['sub']}/tasks"
    settle()
    assert server.request("GET", path, token=user["token"]).status_code == 200

    auth.stop_jwks()
    try:
        time.sleep(REFRESH + INTERVAL + 0.2)  # past the normal refresh age: a refresh is due, and fails
        known = [server.request("GET", path, token=auth.token(user["sub"])) for _ in range(3)]
        auth.rotate()  # a new key in Better Auth's memory that the service cannot learn
        rotated = auth.token(user["sub"])
        settle()
        during = server.request("GET", path, token=rotated)
    finally:
        auth.start_jwks()
    settle()
    after = server.request("GET", path, token=rotated)

    assert [(r.status_code, r.json()) for r in known] == [(200, [])] * 3
    assert (during.status_code, during.json()) == (503, UNAVAILABLE)
    # At least the refetch interval, and the service default of 5 s.
    assert during.headers["Retry-After"] == str(max(5, math.ceil(INTERVAL)))
    assert "WWW-Authenticate" not in during.headers  # not an authentication failure
    assert (after.status_code, after.json()) == (200, [])


def test_flood_of_random_kids_fetches_at_most_once_per_interval(single_worker: Frontend) -> None:
    auth, server = single_worker.auth, single_worker.server
    genuine = auth.user()["token"]
    forged = [with_kid(genuine, secrets.token_urlsafe(24)) for _ in range(200)]
    answers: list[tuple[int, Any]] = []

    def send(tokens: list[str]) -> None:
        with requests.Session() as session:  # a Session is not thread-safe: one per thread
            for token in tokens:
                response = session.get(f"{server.url}/api/someone/tasks", timeout=30,
                                       headers={"Authorization": f"Bearer {token}", "X-Forwarded-Proto": "https"})
                answers.append((response.status_code, response.json()))

    settle()
    auth.reset_count()
    started = time.monotonic()
    threads = [threading.Thread(target=send, args=(forged[i::8],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started

    # A forged kid is "invalid" only once a set fetched after it was first seen lacks it;
    # until the interval allows that fetch it is "retry later" (503). Never accepted, never a 500.
    unavailable = (503, {"detail": "Signing keys are temporarily unavailable; retry later"})
    assert len(answers) == 200 and all(answer in [(401, INVALID), unavailable] for answer in answers), answers
    assert (401, INVALID) in answers
    assert 1 <= auth.jwks_requests() <= math.floor(elapsed / INTERVAL) + 1, elapsed

"""JWKSCache against a real HTTP server: outages keep known keys, refetches stay bounded."""

from __future__ import annotations

import json
import random
import string
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from jwt.algorithms import OKPAlgorithm

from tasks.auth.jwks import JWKSCache, JWKSUnavailable, UnknownSigningKey


def ed25519_jwk(kid: str, **extra: Any) -> tuple[ed25519.Ed25519PrivateKey, dict[str, Any]]:
    private = ed25519.Ed25519PrivateKey.generate()
    jwk = OKPAlgorithm.to_jwk(private.public_key(), as_dict=True)
    return private, {**jwk, "alg": "EdDSA", "kid": kid, **extra}


# ---- a real JWKS server with an outage switch ---------------------------------------------
class FakeJWKS:
    """A JWKS over real HTTP on 127.0.0.1 that can answer badly or close its socket."""

    def __init__(self) -> None:
        self.keys: list[dict[str, Any]] = []
        self.mode = "up"  # up | 500 | bad-json | no-keys | enc-only | redirect
        self.delay = 0.0
        self.requests = 0
        self.port = 0
        self._server: ThreadingHTTPServer | None = None
        self.come_up()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/auth/jwks"

    def come_up(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake.requests += 1
                time.sleep(fake.delay)
                status, body, headers = fake.answer(self.path)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        # A short poll keeps go_down() (shutdown) quick.
        threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True).start()

    def go_down(self) -> None:
        """Close the listening socket: connections are refused until come_up()."""
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()
        self._server = None

    def answer(self, path: str) -> tuple[int, bytes, dict[str, str]]:
        good = json.dumps({"keys": self.keys}).encode()
        json_type = {"Content-Type": "application/json"}
        if path == "/elsewhere" or self.mode == "up":
            return 200, good, json_type
        if self.mode == "500":
            return 500, b'{"error": "boom"}', json_type
        if self.mode == "bad-json":
            return 200, b"<html>maintenance</html>", {"Content-Type": "text/html"}
        if self.mode == "no-keys":
            return 200, b'{"keys": []}', json_type
        if self.mode == "enc-only":
            return 200, json.dumps({"keys": [{**k, "use": "enc"} for k in self.keys]}).encode(), json_type
        assert self.mode == "redirect"
        return 302, b"", {"Location": "/elsewhere"}


@pytest.fixture
def source() -> Iterator[FakeJWKS]:
    fake = FakeJWKS()
    yield fake
    if fake._server is not None:
        fake.go_down()


class FakeClock:
    """The cache's clock, moved by the test: intervals pass at once and exactly."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def wait_until(predicate: Callable[[], bool], timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


def random_kid() -> str:
    return "".join(random.choices(string.ascii_letters + string.digits, k=32))


# ---- behaviour -----------------------------------------------------------------------------
def test_known_kid_is_answered_from_the_cache_without_network(source: FakeJWKS) -> None:
    source.keys = [ed25519_jwk("kid-a")[1]]
    cache = JWKSCache(source.url, refetch_interval=0.0)

    keys = [cache.signing_key("kid-a") for _ in range(50)]

    assert {key.key_id for key in keys} == {"kid-a"}
    assert (source.requests, cache.fetches) == (1, 1)


def test_rotated_kid_is_fetched_once_after_the_interval(source: FakeJWKS, clock: FakeClock) -> None:
    source.keys = [ed25519_jwk("kid-a")[1]]
    cache = JWKSCache(source.url, refetch_interval=5.0, clock=clock)
    cache.signing_key("kid-a")
    new_private, new_jwk = ed25519_jwk("kid-b")
    source.keys.append(new_jwk)

    with pytest.raises(JWKSUnavailable, match="kid-b"):
        cache.signing_key("kid-b")  # within the interval: no set fetched since, so "retry", not "invalid"
    clock.advance(4.9)
    with pytest.raises(JWKSUnavailable):
        cache.signing_key("kid-b")  # still within it: no fetch
    assert source.requests == 1
    clock.advance(0.1)
    key = cache.signing_key("kid-b")

    assert source.requests == 2
    token = jwt.encode({"sub": "u"}, new_private, algorithm="EdDSA", headers={"kid": "kid-b"})
    assert jwt.decode(token, key, algorithms=["EdDSA"]) == {"sub": "u"}


def test_outage_keeps_known_keys_past_refresh_after(source: FakeJWKS, clock: FakeClock) -> None:
    source.keys = [ed25519_jwk("kid-a")[1]]
    cache = JWKSCache(source.url, refetch_interval=5.0, refresh_after=300.0, timeout=0.5, clock=clock)
    cache.signing_key("kid-a")
    source.go_down()
    clock.advance(300.0)

    assert cache.signing_key("kid-a").key_id == "kid-a"  # answered at once, refresh beside it
    wait_until(lambda: cache.fetches == 2)
    for _ in range(100):
        assert cache.signing_key("kid-a").key_id == "kid-a"
    assert cache.fetches == 2  # within the interval the failed refresh is not retried

    source.keys.append(ed25519_jwk("kid-b")[1])
    source.come_up()
    clock.advance(5.0)
    cache.signing_key("kid-a")
    wait_until(lambda: "kid-b" in cache.keys())


def test_unknown_kid_during_outage_is_unavailable_not_unknown(source: FakeJWKS, clock: FakeClock) -> None:
    source.keys = [ed25519_jwk("kid-a")[1]]
    cache = JWKSCache(source.url, refetch_interval=5.0, timeout=0.5, clock=clock)
    cache.signing_key("kid-a")
    source.go_down()
    clock.advance(5.0)

    with pytest.raises(JWKSUnavailable, match="kid-new"):
        cache.signing_key("kid-new")
    with pytest.raises(JWKSUnavailable):
        cache.signing_key("kid-new")  # within the interval: no new attempt, same answer

    assert cache.fetches == 2
    assert cache.signing_key("kid-a").key_id == "kid-a"


def test_unknown_kid_while_down_within_the_interval_is_unavailable_not_invalid(source: FakeJWKS) -> None:
    """The last fetch was good, but it happened before this kid was first seen: it cannot
    say the kid is unknown, so the answer is "retry later" (503), never a 401."""
    source.keys = [ed25519_jwk("kid-a")[1]]
    cache = JWKSCache(source.url, refetch_interval=0.3, timeout=0.5)
    cache.signing_key("kid-a")
    source.go_down()

    with pytest.raises(JWKSUnavailable, match="kid-rotated"):
        cache.signing_key("kid-rotated")  # within the interval: no fetch allowed
    time.sleep(0.35)
    with pytest.raises(JWKSUnavailable, match="kid-rotated"):
        cache.signing_key("kid-rotated")  # the fetch fails: still not a verdict
    source.come_up()
    time.sleep(0.35)
    with pytest.raises(UnknownSigningKey, match="kid-rotated"):
        cache.signing_key("kid-rotated")  # a set fetched after the kid was seen lacks it

    assert cache.fetches == 3


def test_cold_start_during_outage_is_unavailable(source: FakeJWKS) -> None:
    source.go_down()
    cache = JWKSCache(source.url, timeout=0.5)

    with pytest.raises(JWKSUnavailable, match="could not be fetched"):
        cache.keys()
    with pytest.raises(JWKSUnavailable):
        cache.signing_key("kid-a")
    assert cache.fetches == 1


def test_unknown_kid_when_source_is_up_is_unknown_signing_key(source: FakeJWKS) -> None:
    source.keys = [ed25519_jwk("kid-a")[1]]
    cache = JWKSCache(source.url)

    with pytest.raises(UnknownSigningKey, match="no usable key with kid 'kid-x'"):
        cache.signing_key("kid-x")
    assert cache.fetches == 1


def test_flood_of_random_kids_fetches_at_most_once_per_interval(source: FakeJWKS) -> None:
    source.keys = [ed25519_jwk("kid-a")[1]]
    source.delay = 0.2  # keep the first fetch in flight while the other threads pile up
    cache = JWKSCache(source.url, refetch_interval=5.0)
    outcomes: list[str] = []
    outcomes_lock = threading.Lock()

    def attack() -> None:
        for _ in range(25):
            try:
                cache.signing_key(random_kid())
                outcome = "found"
            except Exception as error:  # noqa: BLE001 - the table below names them all
                outcome = type(error).__name__
            with outcomes_lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=attack) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert (source.requests, cache.fetches) == (1, 1)
    # Only the kid seen before the one fetch began is "invalid"; every other forged kid is
    # "retry later" until a set fetched after it was seen lacks it.
    assert sorted(set(outcomes)) == ["JWKSUnavailable", "UnknownSigningKey"] and len(outcomes) == 200
    assert outcomes.count("UnknownSigningKey") == 1


@pytest.mark.parametrize("mode", ["500", "bad-json", "no-keys", "enc-only", "redirect"])
def test_failed_fetch_never_replaces_the_good_set(source: FakeJWKS, mode: str, clock: FakeClock) -> None:
    source.keys = [ed25519_jwk("kid-a")[1]]
    cache = JWKSCache(source.url, refetch_interval=5.0, clock=clock)
    cache.signing_key("kid-a")
    source.keys.append(ed25519_jwk("kid-b")[1])
    source.mode = mode
    clock.advance(5.0)

    with pytest.raises(JWKSUnavailable):
        cache.signing_key("kid-b")

    assert source.requests == 2  # a redirect is not followed: only the configured URL
    assert set(cache.keys()) == {"kid-a"}
    source.mode = "up"
    clock.advance(5.0)
    assert cache.signing_key("kid-b").key_id == "kid-b"


def test_key_set_skips_unusable_keys_and_accepts_missing_use(source: FakeJWKS) -> None:
    source.keys = [
        ed25519_jwk("no-use")[1],
        ed25519_jwk("sig", use="sig")[1],
        ed25519_jwk("enc", use="enc")[1],
        {"kty": "OKP", "crv": "Ed25519", "x": "not-a-key", "kid": "broken"},
        {"kty": "oct", "k": "c2VjcmV0", "kid": "symmetric"},
        {k: v for k, v in ed25519_jwk("x")[1].items() if k != "kid"},
        "not-a-jwk",
    ]
    cache = JWKSCache(source.url)

    assert set(cache.keys()) == {"no-use", "sig"}

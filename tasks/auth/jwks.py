"""A per-process cache of the frontend's JWKS that survives JWKS outages.

PyJWKClient does not do our three jobs at once (read in PyJWT 2.15.1's jwks_client.py
and jwk_set_cache.py): its key set expires after `lifespan` (300 s) and a refetch that
fails is an error, so a five-minute outage of the frontend signs every user out; its
per-kid LRU (`cache_keys=True`) survives an outage but never expires, so a key removed
from the JWKS stays trusted for the life of the process; and a token with an unknown
kid refetches only after `cooldown_duration` (default 30 s, restarted by every
successful fetch, the first and each expiry refetch included), so a key rotated in just
after a fetch is refused for up to 30 s, while `cooldown_duration=0` leaves no bound at
all (one fetch per such token, serialised under its lock). This cache keeps the last
good set with no expiry, refreshes it in the background (JWKS_REFRESH_SECONDS) and
bounds refetches for unknown kids itself (JWKS_REFETCH_INTERVAL_SECONDS).
"""

from __future__ import annotations

import http.client
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

logger = logging.getLogger(__name__)

MAX_JWKS_BYTES = 1 << 20  # a JWKS is a few KB; never buffer an unbounded answer
MAX_UNKNOWN_KIDS = 10_000  # first sightings of unknown kids remembered per process

# The token's alg -> the public key class (and EC curve) its JWK must hold.
_KEY_CLASSES: dict[str, tuple[type, str | None]] = {
    "EdDSA": (ed25519.Ed25519PublicKey, None),
    "ES256": (ec.EllipticCurvePublicKey, "secp256r1"),
    "RS256": (rsa.RSAPublicKey, None),
    "PS256": (rsa.RSAPublicKey, None),
}


class JWKSUnavailable(Exception):
    """The JWKS could not be fetched and the kid is not known: our outage (503), not the user's bad token."""


class UnknownSigningKey(Exception):
    """The JWKS answered but has no usable key with this kid (401)."""


class _FetchFailed(Exception):
    """One fetch attempt gave nothing usable; the last good set stays."""


def key_matches_algorithm(key: jwt.PyJWK, alg: str) -> bool:
    """Whether this JWK may verify a token whose header says `alg`."""
    expected = _KEY_CLASSES.get(alg)
    if expected is None:
        return False
    key_class, curve = expected
    # Checking the parsed key, not just `kty`, also pins the curve (Ed448 is OKP too)
    # and refuses private keys, which have no verify().
    if not isinstance(key.key, key_class):
        return False
    if curve is not None and key.key.curve.name != curve:
        return False
    # PyJWK fills `algorithm_name` with a guess when the JWK has no `alg` (RS256 for any
    # RSA key), so only the JWK's own field may veto: read the raw data.
    declared = key._jwk_data.get("alg")
    return declared is None or declared == alg


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # Only the configured URL is ever fetched: a redirect is a failed fetch.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _parse_key_set(data: object) -> dict[str, jwt.PyJWK]:
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise _FetchFailed("the JWKS is not an object with a 'keys' list")
    entries = [
        entry
        for entry in data["keys"]
        # No `use` is fine (Better Auth omits it); `enc` keys never verify signatures;
        # a symmetric key has no place in a public key set.
        if isinstance(entry, dict) and entry.get("use", "sig") == "sig" and entry.get("kty") != "oct"
    ]
    try:
        parsed = jwt.PyJWKSet(entries).keys if entries else []  # skips keys it cannot parse
    except jwt.exceptions.MissingCryptographyError:
        raise  # a broken install, not an outage: let it be loud
    except jwt.PyJWTError as error:
        raise _FetchFailed(str(error)) from error
    keys: dict[str, jwt.PyJWK] = {}
    for key in parsed:
        if isinstance(key.key_id, str):
            keys.setdefault(key.key_id, key)
    if not keys:
        raise _FetchFailed("the JWKS has no usable signing keys with a kid")
    return keys


class JWKSCache:
    """The signing keys of one JWKS URL, kept through outages and refetched sparingly."""

    def __init__(
        self,
        url: str,
        *,
        refetch_interval: float = 5.0,
        refresh_after: float = 300.0,
        timeout: float = 3.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.clock = clock  # injectable: tests move time instead of sleeping
        self.refetch_interval = refetch_interval
        self.refresh_after = refresh_after
        self.timeout = timeout
        self.fetches = 0  # attempts, successful or not
        self._changed = threading.Condition()
        self._keys: dict[str, jwt.PyJWK] = {}  # the last good set; never expires
        self._good_at: float | None = None
        self._attempted_at: float | None = None
        # Fetches are numbered as they begin (self.fetches); counting, not timing, says which
        # fetch began after a kid was first seen, whatever the clock's resolution.
        self._good_fetch = 0  # the number of the fetch that gave the last good set
        self._unknown_since: dict[str, int] = {}  # kids in no set yet -> fetches begun when first seen
        self._fetching = False

    def signing_key(self, kid: str) -> jwt.PyJWK:
        """The key for this kid; raises UnknownSigningKey or JWKSUnavailable."""
        with self._changed:
            key = self._keys.get(kid)
            if key is not None:
                self._refresh_in_background_if_stale()
                return key
            if len(self._unknown_since) >= MAX_UNKNOWN_KIDS:
                self._unknown_since.clear()  # a flood of forged kids: forgetting costs a 503, not a 401
            first_seen = self._unknown_since.setdefault(kid, self.fetches)  # fetches begun before it
            self._fetch_if_allowed()
            key = self._keys.get(kid)
            if key is not None:
                self._unknown_since.pop(kid, None)
                return key
            if self._good_fetch > first_seen:
                raise UnknownSigningKey(f"The JWKS has no usable key with kid {kid!r}")
            # No key set fetched since this kid was first seen (the JWKS is down, or the
            # refetch interval forbids a fetch yet): the token may well be valid, so answer
            # "try later", never "signed out".
            raise JWKSUnavailable(f"The JWKS at {self.url} has not been fetched since kid {kid!r} was first seen")

    def keys(self) -> dict[str, jwt.PyJWK]:
        """All known keys, fetching once if none were ever fetched (for `manage.py check`)."""
        with self._changed:
            if not self._keys:
                self._fetch_if_allowed()
            else:
                self._refresh_in_background_if_stale()
            if not self._keys:
                raise JWKSUnavailable(f"The JWKS at {self.url} could not be fetched")
            return dict(self._keys)

    # ---- all below run with self._changed held ----

    def _may_start_fetch(self) -> bool:
        now = self.clock()
        return not self._fetching and (
            self._attempted_at is None or now - self._attempted_at >= self.refetch_interval
        )

    def _fetch_if_allowed(self) -> None:
        """Fetch now, or wait for the fetch already running; within the interval, do nothing."""
        if self._fetching:
            # A fetch is bounded by `timeout` per socket operation; a hung one must not hang
            # every request, so wait a bounded time and answer from what is known.
            self._changed.wait_for(lambda: not self._fetching, timeout=self.timeout * 2 + 1)
        elif self._may_start_fetch():
            self._run_fetch()

    def _refresh_in_background_if_stale(self) -> None:
        # A known kid never waits for the network: the refresh runs beside the request.
        stale = self._good_at is None or self.clock() - self._good_at >= self.refresh_after
        if stale and self._may_start_fetch():
            self._fetching = True
            threading.Thread(target=self._background_fetch, name="jwks-refresh", daemon=True).start()

    def _background_fetch(self) -> None:
        with self._changed:
            self._run_fetch(already_marked=True)

    def _run_fetch(self, *, already_marked: bool = False) -> None:
        """One HTTP attempt with the lock released; the result lands under the lock."""
        if not already_marked:
            self._fetching = True
        self._attempted_at = self.clock()
        self.fetches += 1
        number = self.fetches
        try:
            self._changed.release()
            try:
                keys: dict[str, jwt.PyJWK] | None = self._download()
            except _FetchFailed as error:
                # Served from the last good set meanwhile, so only a log line tells of it.
                logger.warning("JWKS fetch from %s failed: %s", self.url, error)
                keys = None
            finally:
                self._changed.acquire()
            if keys is not None:
                self._keys, self._good_at, self._good_fetch = keys, self.clock(), number
        finally:
            self._fetching = False
            self._changed.notify_all()

    def _download(self) -> dict[str, jwt.PyJWK]:
        request = urllib.request.Request(self.url, headers={"Accept": "application/json"})
        try:
            with _opener.open(request, timeout=self.timeout) as response:
                if response.status != 200:
                    raise _FetchFailed(f"HTTP {response.status}")
                body = response.read(MAX_JWKS_BYTES + 1)
        # URLError, HTTPError and timeouts are OSErrors; a garbled answer is an HTTPException.
        except (OSError, ValueError, http.client.HTTPException) as error:
            raise _FetchFailed(str(error)) from error
        if len(body) > MAX_JWKS_BYTES:
            raise _FetchFailed("the JWKS answer is too large")
        try:
            data = json.loads(body)
        except ValueError as error:
            raise _FetchFailed(f"the JWKS is not JSON: {error}") from error
        return _parse_key_set(data)

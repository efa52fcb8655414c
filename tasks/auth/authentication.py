"""Better Auth bearer tokens: the header, the token (verified by simplejwt's
TokenBackend, HS256 with the shared secret or a key from Better Auth's JWKS), and the
DRF authentication class that speaks the contract's words."""
import functools
import math
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTStatelessUserAuthentication
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.exceptions import ExpiredTokenError, TokenError
from rest_framework_simplejwt.models import TokenUser
from rest_framework_simplejwt.tokens import Token

from ..exceptions import ServiceUnavailable
from .jwks import JWKSCache, JWKSUnavailable, UnknownSigningKey, key_matches_algorithm
from .token_shape import check_shape

# Header parameters that ask the verifier to fetch or trust a key named by the token
# itself (RFC 7515 §4.1.2-4.1.6): never honoured, the token is refused outright.
FOREIGN_KEY_HEADERS = frozenset({"jku", "jwk", "x5u", "x5c"})
# What Better Auth's jwt plugin can sign with and we can verify; each is bound to a key
# of its own type by key_matches_algorithm, so the token's `alg` never picks the key type.
JWKS_ALGORITHMS = frozenset({"EdDSA", "ES256", "RS256", "PS256"})
# Verified HS256 tokens per process; a frontend sends the same token for its lifetime.
VERIFIED_CACHE_SIZE = 10_000


# --- The header ----------------------------------------------------------------------------
def bearer_credentials(header: str | None) -> str:
    """The token of an `Authorization: Bearer <token>` header (RFC 6750 §2.1)."""
    parts = (header or "").split()
    if len(parts) != 2 or parts[0].lower() != "bearer":
        raise AuthenticationFailed("Invalid authorization header")
    return parts[1]


# --- Verification ---------------------------------------------------------------------------
@functools.cache
def _hs256_backend(secret: str, issuer: str, audience: str, leeway: int) -> TokenBackend:
    # One backend per algorithm: simplejwt decodes with algorithms=[self.algorithm], so
    # the allow-list comes from configuration, never from the token's header.
    return TokenBackend("HS256", signing_key=secret, issuer=issuer or None, audience=audience or None, leeway=leeway)


@functools.cache
def _jwks_cache(url: str, refetch_interval: float, refresh_after: float, timeout: float) -> JWKSCache:
    # One per process and per configuration: a test that changes a setting gets a fresh one.
    return JWKSCache(url, refetch_interval=refetch_interval, refresh_after=refresh_after, timeout=timeout)


def jwks_cache() -> JWKSCache:
    """This process's cache of the configured JWKS (BETTER_AUTH_JWKS_URL must be set)."""
    return _jwks_cache(
        settings.BETTER_AUTH_JWKS_URL,
        settings.JWKS_REFETCH_INTERVAL_SECONDS,
        settings.JWKS_REFRESH_SECONDS,
        settings.JWKS_TIMEOUT_SECONDS,
    )


def _jwks_backend(alg: str, kid: object) -> TokenBackend:
    if not isinstance(kid, str) or not kid:
        raise TokenError("Token has no kid")
    try:
        key = jwks_cache().signing_key(kid)  # JWKSUnavailable goes up: a 503, not a 401
    except UnknownSigningKey as exc:
        raise TokenError("Unknown signing key") from exc
    # An RSA key must not verify an "EdDSA" token, nor any key an HS256 one (which never
    # gets here): the key's own type has the last word, not the token's header.
    if not key_matches_algorithm(key, alg):
        raise TokenError("Signing key does not match the token's algorithm")
    return TokenBackend(
        alg,
        verifying_key=key.key,
        issuer=settings.JWKS_ISSUER or None,
        audience=settings.JWKS_AUDIENCE or None,
        leeway=settings.JWT_LEEWAY_SECONDS,
    )


def token_backend_for(header: dict[str, Any]) -> TokenBackend:
    """The backend that may verify a token with this (unverified) header.

    Raises TokenError (401) or JWKSUnavailable (the JWKS is down and the kid unknown).
    """
    if FOREIGN_KEY_HEADERS & header.keys():
        raise TokenError("Token names its own key")
    alg = header.get("alg")
    if alg == "HS256" and settings.BETTER_AUTH_SECRET:
        return _hs256_backend(
            settings.BETTER_AUTH_SECRET,
            settings.BETTER_AUTH_ISSUER,
            settings.BETTER_AUTH_AUDIENCE,
            settings.JWT_LEEWAY_SECONDS,
        )
    # The header is untrusted JSON: `alg` may be a list, which `in` a set would raise on (a 500).
    if isinstance(alg, str) and alg in JWKS_ALGORITHMS and settings.BETTER_AUTH_JWKS_URL:
        return _jwks_backend(alg, header.get("kid"))
    raise TokenError("Algorithm not allowed")


class BetterAuthToken(Token):
    """A verified Better Auth JWT: its shape (tasks.auth.token_shape: dates, `sub`, no duplicate
    keys), then signature and `exp`/`nbf`/`iat`."""

    # simplejwt wants both; TOKEN_TYPE_CLAIM=None means the type is never checked.
    token_type = "access"
    lifetime = timedelta(minutes=15)

    def __init__(self, token: str) -> None:
        self.backend = token_backend_for(check_shape(token))
        super().__init__(token)  # type: ignore[arg-type]  # simplejwt accepts the raw string

    def get_token_backend(self) -> TokenBackend:
        return self.backend



# --- Verified tokens, remembered ---------------------------------------------------------------
# Verifying costs more than the rest of a GET of one task (simplejwt + PyJWT: header,
# HMAC, claims, datetimes). The same bytes under the same configuration verify the
# same way, except for `exp`, which is checked again on every use; nbf/iat only ever
# become more valid. Only HS256 is remembered: a JWKS key can be withdrawn.
_verified: dict[tuple[str, ...], "BetterAuthToken"] = {}


def _verification_key(raw_token: str) -> tuple[str, ...]:
    return (raw_token, settings.BETTER_AUTH_SECRET, settings.BETTER_AUTH_ISSUER,
            settings.BETTER_AUTH_AUDIENCE, str(settings.JWT_LEEWAY_SECONDS))


def remembered_token(raw_token: str) -> "BetterAuthToken | None":
    """A token verified before under the current configuration and not expired since."""
    token = _verified.get(_verification_key(raw_token))
    if token is None or token.payload["exp"] <= time.time() - settings.JWT_LEEWAY_SECONDS:
        return None
    return token


def remember_token(raw_token: str, token: "BetterAuthToken") -> None:
    if token.backend.algorithm != "HS256":
        return
    if len(_verified) >= VERIFIED_CACHE_SIZE:
        _verified.clear()  # bounded, and simpler than LRU bookkeeping on every request
    _verified[_verification_key(raw_token)] = token


# --- The DRF authentication class -------------------------------------------------------------
class BetterAuthJWTAuthentication(JWTStatelessUserAuthentication):
    """Authenticates a request by its Better Auth bearer token; the user is the `sub`."""

    def authenticate(self, request: Request) -> tuple[TokenUser, Token]:
        # Never return None: DRF would answer "credentials were not provided", and the
        # contract wants one fixed message for every header problem.
        # Reads only: the owner directory is written by the views, once permission and
        # throttling have let the request through (TaskViewSet.initial).
        token = self.get_validated_token(bearer_credentials(request.headers.get("Authorization")))
        return self.get_user(token), token

    def get_validated_token(self, raw_token: str) -> Token:  # type: ignore[override]
        token = remembered_token(raw_token)
        if token is not None:
            return token
        try:
            token = BetterAuthToken(raw_token)
        except ExpiredTokenError:  # a TokenError too: must come first
            raise AuthenticationFailed("Token expired") from None
        except TokenError:
            raise AuthenticationFailed("Invalid token") from None
        except JWKSUnavailable:
            # Our outage, not the user's bad token: a 401 would sign the user out. DRF's
            # dispatch renders any non-authentication APIException with its own status.
            unavailable = ServiceUnavailable("Signing keys are temporarily unavailable; retry later")
            # Retrying before the refetch interval has passed cannot succeed.
            unavailable.wait = max(unavailable.wait, math.ceil(settings.JWKS_REFETCH_INTERVAL_SECONDS))
            raise unavailable from None
        remember_token(raw_token, token)
        return token

    def authenticate_header(self, request: Request) -> str:
        return "Bearer"

"""Better Auth bearer tokens: the header, the token (verified by simplejwt's
TokenBackend), and the DRF authentication class that speaks the contract's words."""
import functools
import time
from datetime import timedelta
from typing import Any

import jwt
from django.conf import settings
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTStatelessUserAuthentication
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.exceptions import ExpiredTokenError, TokenError
from rest_framework_simplejwt.models import TokenUser
from rest_framework_simplejwt.tokens import Token

# Header parameters that ask the verifier to fetch or trust a key named by the token
# itself (RFC 7515 §4.1.2-4.1.6): never honoured, the token is refused outright.
FOREIGN_KEY_HEADERS = frozenset({"jku", "jwk", "x5u", "x5c"})
MAX_SUBJECT_LENGTH = 255
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


def token_backend_for(header: dict[str, Any]) -> TokenBackend:
    """The backend that may verify a token with this (unverified) header."""
    if FOREIGN_KEY_HEADERS & header.keys():
        raise TokenError("Token names its own key")
    if header.get("alg") == "HS256" and settings.BETTER_AUTH_SECRET:
        return _hs256_backend(
            settings.BETTER_AUTH_SECRET,
            settings.BETTER_AUTH_ISSUER,
            settings.BETTER_AUTH_AUDIENCE,
            settings.JWT_LEEWAY_SECONDS,
        )
    raise TokenError("Algorithm not allowed")


class BetterAuthToken(Token):
    """A verified Better Auth JWT: signature, `exp`/`nbf`/`iat`, and a usable `sub`."""

    # simplejwt wants both; TOKEN_TYPE_CLAIM=None means the type is never checked.
    token_type = "access"
    lifetime = timedelta(minutes=15)

    def __init__(self, token: str) -> None:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise TokenError("Malformed token") from exc
        self.backend = token_backend_for(header)
        super().__init__(token)  # type: ignore[arg-type]  # simplejwt accepts the raw string

    def get_token_backend(self) -> TokenBackend:
        return self.backend

    def verify(self) -> None:
        super().verify()  # requires `exp`
        subject = self.payload.get("sub")
        if not isinstance(subject, str) or not 0 < len(subject) <= MAX_SUBJECT_LENGTH:
            raise TokenError("Token has no usable subject")


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
        remember_token(raw_token, token)
        return token

    def authenticate_header(self, request: Request) -> str:
        return "Bearer"

"""What a bearer token must look like before any key is chosen or signature checked.

PyJWT and simplejwt read a token's JSON leniently: duplicate keys (the last one wins,
while another parser may take the first), NaN and Infinity, digit strings and booleans
as dates (`"exp": true` is 1970), a date past year 9999 (an OverflowError, a 500, in
simplejwt's `check_exp`), and any `sub` string, NUL included (PostgreSQL refuses NUL:
a 500 on the owner upsert). Every such token is refused here, in one place, as
`Invalid token`.
"""
import base64
import binascii
import json
import math
import unicodedata
from typing import Any

from rest_framework_simplejwt.exceptions import TokenError

from ..models import MAX_SUBJECT_LENGTH  # characters (code points), as PostgreSQL's varchar counts them

# RFC 7519 NumericDate, bounded to what a datetime holds: 1970-01-01 .. 9999-12-31T23:59:59Z.
MAX_NUMERIC_DATE = 253_402_300_799
DATE_CLAIMS = ("exp", "nbf", "iat")
# crit (RFC 7515 §4.1.11) names extensions we must understand or refuse: we know none.
# b64 (RFC 7797) changes what the signature covers: never for bearer tokens.
UNSUPPORTED_HEADERS = frozenset({"crit", "b64"})
# Cc: NUL and the other control characters; Cs: lone surrogates, which no UTF-8 (and so no
# PostgreSQL text) can hold; Cn: unassigned code points.
FORBIDDEN_SUBJECT_CATEGORIES = frozenset({"Cc", "Cs", "Cn"})


class _Duplicate(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _Duplicate("duplicate key")
    return result


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not JSON")  # NaN, Infinity, -Infinity


def b64url_decode(segment: str) -> bytes:
    """RFC 7515 base64url without padding, canonical only (as PyJWT decodes it)."""
    if "=" in segment or len(segment) % 4 == 1:
        raise ValueError("not base64url")
    data = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    if base64.urlsafe_b64encode(data).rstrip(b"=").decode() != segment:
        raise ValueError("not canonical base64url")  # stray characters or non-zero padding bits
    return data


def json_segment(segment: str) -> dict[str, Any]:
    """One token segment as a JSON object; raises ValueError."""
    try:
        data = json.loads(b64url_decode(segment), object_pairs_hook=_unique_keys, parse_constant=_no_constants)
    except RecursionError:
        raise ValueError("nested too deeply") from None  # "[[[[..." a few KB long
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return data


def readable_parts(token: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The header and claims as written (unverified; None where unreadable), for verify_token."""
    segments = token.split(".")
    parsed: list[dict[str, Any] | None] = []
    for segment in (segments + ["", ""])[:2]:
        try:
            parsed.append(json_segment(segment))
        except (ValueError, binascii.Error):
            parsed.append(None)
    return parsed[0], parsed[1]


def _is_numeric_date(value: object) -> bool:
    # Comparisons before isfinite(): a 400-digit int cannot become a float (OverflowError).
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and 0 <= value <= MAX_NUMERIC_DATE
        and math.isfinite(value)
    )


def usable_subject(value: object) -> bool:
    """A user id we can store and compare: 1-255 characters, none of them control characters."""
    return (
        isinstance(value, str)
        and 0 < len(value) <= MAX_SUBJECT_LENGTH
        and not any(unicodedata.category(char) in FORBIDDEN_SUBJECT_CATEGORIES for char in value)
    )


def check_shape(token: str) -> dict[str, Any]:
    """The token's header, once the whole token has passed the checks above; raises TokenError."""
    segments = token.split(".")
    if len(segments) != 3:
        raise TokenError("Malformed token")
    try:
        header, claims = json_segment(segments[0]), json_segment(segments[1])
    except _Duplicate:
        raise TokenError("Duplicate keys in the token's JSON") from None
    except (ValueError, binascii.Error):
        raise TokenError("Malformed token") from None
    try:
        b64url_decode(segments[2])
    except (ValueError, binascii.Error):
        raise TokenError("Signature invalid (not base64url)") from None
    if UNSUPPORTED_HEADERS & header.keys():
        raise TokenError("Token header asks for an extension we do not support (crit/b64)")
    for name in DATE_CLAIMS:
        if name in claims and not _is_numeric_date(claims[name]):
            raise TokenError(f"Claim {name!r} is not a date between 1970 and 9999")
    if "exp" not in claims:
        raise TokenError("Token has no 'exp' claim")
    if not usable_subject(claims.get("sub")):
        raise TokenError("Token has no usable subject")
    return header

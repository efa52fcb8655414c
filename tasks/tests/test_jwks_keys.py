"""Which JWK may verify a token of which `alg` (tasks.auth.jwks.key_matches_algorithm): the
key's class and curve decide, not its `kty`, and a private key never matches."""

from __future__ import annotations

from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from tasks.auth.jwks import key_matches_algorithm

_RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # slow: make once


def public_jwk(kind: str, **extra: Any) -> dict[str, Any]:
    if kind == "Ed25519":
        jwk = OKPAlgorithm.to_jwk(ed25519.Ed25519PrivateKey.generate().public_key(), as_dict=True)
    elif kind == "Ed448":
        jwk = OKPAlgorithm.to_jwk(ed448.Ed448PrivateKey.generate().public_key(), as_dict=True)
    elif kind in ("P-256", "P-384"):
        curve = ec.SECP256R1() if kind == "P-256" else ec.SECP384R1()
        jwk = ECAlgorithm.to_jwk(ec.generate_private_key(curve).public_key(), as_dict=True)
    else:
        jwk = RSAAlgorithm.to_jwk(_RSA_KEY.public_key(), as_dict=True)
    return {**jwk, "kid": kind, **extra}


@pytest.mark.parametrize(
    ("jwk", "alg", "matches"),
    [
        pytest.param(public_jwk("Ed25519", alg="EdDSA"), "EdDSA", True, id="ed25519-eddsa"),
        pytest.param(public_jwk("Ed25519"), "EdDSA", True, id="ed25519-no-alg"),
        pytest.param(public_jwk("Ed25519", alg="EdDSA"), "ES256", False, id="ed25519-es256"),
        pytest.param(public_jwk("Ed448", alg="EdDSA"), "EdDSA", False, id="ed448-eddsa"),
        pytest.param(public_jwk("P-256", alg="ES256"), "ES256", True, id="p256-es256"),
        pytest.param(public_jwk("P-256"), "ES256", True, id="p256-no-alg"),
        pytest.param(public_jwk("P-256", alg="ES256"), "RS256", False, id="p256-rs256"),
        pytest.param(public_jwk("P-384", alg="ES384"), "ES256", False, id="p384-es256"),
        pytest.param(public_jwk("RSA"), "RS256", True, id="rsa-no-alg-rs256"),
        pytest.param(public_jwk("RSA"), "PS256", True, id="rsa-no-alg-ps256"),
        pytest.param(public_jwk("RSA", alg="RS256"), "RS256", True, id="rsa-rs256"),
        pytest.param(public_jwk("RSA", alg="RS256"), "PS256", False, id="rsa-alg-rs256-token-ps256"),
        pytest.param(public_jwk("RSA", alg="PS256"), "PS256", True, id="rsa-ps256"),
        pytest.param(public_jwk("RSA", alg="PS256"), "RS256", False, id="rsa-alg-ps256-token-rs256"),
        pytest.param(public_jwk("RSA"), "EdDSA", False, id="rsa-eddsa"),
        pytest.param(public_jwk("RSA"), "HS256", False, id="rsa-hs256"),
        pytest.param(public_jwk("Ed25519"), "none", False, id="ed25519-none"),
    ],
)
def test_key_matches_algorithm(jwk: dict[str, Any], alg: str, matches: bool) -> None:
    assert key_matches_algorithm(jwt.PyJWK(jwk), alg) is matches


def test_private_key_in_a_jwks_does_not_match() -> None:
    private = OKPAlgorithm.to_jwk(ed25519.Ed25519PrivateKey.generate(), as_dict=True)

    assert key_matches_algorithm(jwt.PyJWK({**private, "kid": "leak"}), "EdDSA") is False

"""Per-request cost of verifying a bearer token in-process: the JWKS path vs HS256.

    .venv/bin/python bench/jwt_verify.py [--number 2000] [--repeat 7]

Times BetterAuthJWTAuthentication().authenticate() on one request per token kind, with
the JWKS served on loopback and already cached (the steady state: a known kid never
touches the network), and prints the median per call and its ratio to HS256.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
import timeit
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
ORIGIN = "http://localhost:3000"
SECRET = "bench-better-auth-secret-0123456789abcdef"

# alg -> (private key, PyJWT's JWK converter)
KEYS: dict[str, tuple[Any, Any]] = {
    "EdDSA": (ed25519.Ed25519PrivateKey.generate(), OKPAlgorithm),
    "ES256": (ec.generate_private_key(ec.SECP256R1()), ECAlgorithm),
    "RS256": (rsa.generate_private_key(public_exponent=65537, key_size=2048), RSAAlgorithm),
    "PS256": (rsa.generate_private_key(public_exponent=65537, key_size=2048), RSAAlgorithm),
}


def serve_jwks() -> str:
    body = json.dumps({"keys": [
        {**converter.to_jwk(key.public_key(), as_dict=True), "alg": alg, "kid": alg} for alg, (key, converter) in KEYS.items()
    ]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/api/auth/jwks"


def tokens() -> dict[str, str]:
    now = int(time.time())
    # What Better Auth's jwt() puts in a token (BETTER_AUTH.md), and the frontend's HS256 kind.
    claims = {"iat": now, "name": "Ada", "email": "ada@example.com", "emailVerified": False,
              "id": "0w2GTenecEkJ9iTloFMZUtOX4wInNCoh", "sub": "0w2GTenecEkJ9iTloFMZUtOX4wInNCoh",
              "exp": now + 900, "iss": ORIGIN, "aud": ORIGIN}
    made = {"HS256": jwt.encode({k: claims[k] for k in ("sub", "email", "name", "iat", "exp")}, SECRET, algorithm="HS256")}
    for alg, (key, _) in KEYS.items():
        made[alg] = jwt.encode(claims, key, algorithm=alg, headers={"kid": alg})
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=2000, help="calls per timing run")
    parser.add_argument("--repeat", type=int, default=7, help="timing runs; the median is reported")
    args = parser.parse_args()

    os.environ.update(DJANGO_SETTINGS_MODULE="taskflow.settings", BETTER_AUTH_SECRET=SECRET,
                      BETTER_AUTH_URL=ORIGIN, BETTER_AUTH_JWKS_URL=serve_jwks(), LOG_LEVEL="WARNING")
    import django

    django.setup()
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from tasks.auth.authentication import BetterAuthJWTAuthentication

    factory, auth = APIRequestFactory(), BetterAuthJWTAuthentication()
    requests = {
        alg: Request(factory.get("/api/x/tasks", HTTP_AUTHORIZATION=f"Bearer {token}")) for alg, token in tokens().items()
    }
    for request in requests.values():
        auth.authenticate(request)  # warm up: the first JWKS token fetches the key set once
    runs: dict[str, list[float]] = {alg: [] for alg in requests}
    for _ in range(args.repeat):
        # Interleaved, so a load change on the machine hits every kind alike.
        for alg, request in requests.items():
            runs[alg].append(timeit.timeit(lambda: auth.authenticate(request), number=args.number) / args.number)
    per_call = {alg: statistics.median(times) for alg, times in runs.items()}

    print(f"median per authenticate() call, {args.repeat} runs x {args.number} calls, Python {sys.version.split()[0]}")
    for alg, seconds in per_call.items():
        print(f"  {alg:6} {seconds * 1e6:8.1f} µs   {seconds / per_call['HS256']:5.1f}x HS256")


if __name__ == "__main__":
    main()

"""A small OAuth 2 provider on 127.0.0.1 for the sign-in tests: Google's and GitHub's
endpoints as this service calls them (authorize, token with PKCE S256, userinfo, user and
user/emails), in a thread. No library plays a provider this small; it is 100 lines."""
import base64
import hashlib
import json
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

CLIENT_ID, CLIENT_SECRET = "test-client-id", "test-client-secret"


@dataclass
class Provider:
    url: str
    # What /userinfo (Google) or /user + /user/emails (GitHub) answer for the next code.
    google_user: dict[str, Any] = field(default_factory=dict)
    github_user: dict[str, Any] = field(default_factory=dict)
    github_emails: list[dict[str, Any]] = field(default_factory=list)
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    token_requests: list[dict[str, str]] = field(default_factory=list)

    def consent(self, authorize_url: str) -> dict[str, str]:
        """What the provider would append to redirect_uri after the user said yes."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
        code = secrets.token_urlsafe(16)
        self.codes[code] = query
        return {"code": code, **({"state": query["state"]} if "state" in query else {})}


def pkce_challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def make_handler(provider: Provider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def answer(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:  # the token endpoint
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            provider.token_requests.append(form)
            basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            if self.headers.get("Authorization") != f"Basic {basic}" and form.get("client_secret") != CLIENT_SECRET:
                return self.answer(401, {"error": "invalid_client"})
            grant = provider.codes.pop(form.get("code", ""), None)
            if grant is None or form.get("redirect_uri") != grant["redirect_uri"]:
                return self.answer(400, {"error": "invalid_grant"})
            if "code_challenge" in grant and pkce_challenge(form.get("code_verifier", "")) != grant["code_challenge"]:
                return self.answer(400, {"error": "invalid_grant", "error_description": "PKCE verification failed"})
            token = secrets.token_urlsafe(16)
            provider.tokens[token] = grant["client_id"]
            self.answer(200, {"access_token": token, "token_type": "bearer", "scope": grant.get("scope", "")})

        def do_GET(self) -> None:
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            if token not in provider.tokens:
                return self.answer(401, {"message": "Bad credentials"})
            path = urlsplit(self.path).path
            body = {"/userinfo": provider.google_user, "/user": provider.github_user,
                    "/user/emails": provider.github_emails}.get(path)
            self.answer(200, body) if body is not None else self.answer(404, {"message": "Not Found"})

    return Handler


def start_provider() -> tuple[Provider, ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), None)  # type: ignore[arg-type]
    provider = Provider(f"http://127.0.0.1:{server.server_address[1]}")
    server.RequestHandlerClass = make_handler(provider)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return provider, server


def provider_settings(provider: Provider) -> dict[str, str]:
    """The settings (or environment) that point this service at the test provider."""
    return {
        "GOOGLE_CLIENT_ID": CLIENT_ID, "GOOGLE_CLIENT_SECRET": CLIENT_SECRET,
        "GOOGLE_AUTHORIZE_URL": f"{provider.url}/authorize", "GOOGLE_TOKEN_URL": f"{provider.url}/token",
        "GOOGLE_USERINFO_URL": f"{provider.url}/userinfo",
        "GITHUB_CLIENT_ID": CLIENT_ID, "GITHUB_CLIENT_SECRET": CLIENT_SECRET,
        "GITHUB_AUTHORIZE_URL": f"{provider.url}/authorize", "GITHUB_TOKEN_URL": f"{provider.url}/token",
        "GITHUB_API_URL": provider.url,
    }


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}

"""Start the real Better Auth of server.mjs from Python tests and drive it over HTTP."""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

import requests

HERE = Path(__file__).resolve().parent
READY_TIMEOUT = 30.0


class HarnessError(RuntimeError):
    """The Better Auth test server could not start or a control call failed."""


class BetterAuthHarness:
    """A running `node server.mjs`: a real Better Auth with the jwt plugin, in memory."""

    def __init__(
        self,
        alg: str = "EdDSA",
        *,
        secret: str = "better-auth-harness-secret-0123456789abcdef",
        base_url: str = "http://localhost:3000",
    ) -> None:
        if not (HERE / "node_modules" / "better-auth").is_dir():
            # A missing install must fail loudly: a skip would hide that CI never ran these.
            raise HarnessError(
                "Better Auth is not installed for the test harness: "
                "run `npm ci --prefix tasks/tests/betterauth`"
            )
        node = shutil.which("node")
        if node is None:
            raise HarnessError("`node` (Node 20+) is not on PATH; the Better Auth harness needs it")
        self.alg = alg
        self.secret = secret
        self.base_url = base_url
        env = {**os.environ, "BETTER_AUTH_SECRET": secret, "BETTER_AUTH_URL": base_url}
        # stdin stays a pipe we never write: when this process dies, node sees EOF and exits.
        self._process = subprocess.Popen(
            [node, str(HERE / "server.mjs"), "--alg", alg],
            cwd=HERE,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._stderr: list[str] = []
        self._readers = [threading.Thread(target=self._drain_stderr, daemon=True)]
        self._readers[0].start()
        ready = self._wait_ready()
        self.control_url: str = ready["control"]
        self.jwks_url: str = ready["jwks"]
        self.issuer: str = ready["issuer"]
        self._http = requests.Session()

    def _drain_stderr(self) -> None:
        # Drained continuously, or a chatty server would block on a full pipe.
        assert self._process.stderr is not None
        for line in self._process.stderr:
            self._stderr.append(line)

    def _wait_ready(self) -> dict[str, Any]:
        lines: queue.Queue[str | None] = queue.Queue()

        def read_stdout() -> None:
            assert self._process.stdout is not None
            for line in self._process.stdout:
                lines.put(line)
            lines.put(None)

        reader = threading.Thread(target=read_stdout, daemon=True)
        reader.start()
        self._readers.append(reader)
        try:
            while True:
                line = lines.get(timeout=READY_TIMEOUT)
                if line is None:
                    break
                try:
                    ready = json.loads(line)
                except ValueError:
                    continue
                if isinstance(ready, dict) and "control" in ready:
                    return ready
        except queue.Empty:
            pass
        self.close()
        raise HarnessError(
            f"Better Auth harness ({self.alg}) did not report ready within {READY_TIMEOUT:.0f} s "
            f"(exit code {self._process.poll()}). stderr:\n{self.stderr}"
        )

    @property
    def stderr(self) -> str:
        """Everything the server wrote to stderr so far (Better Auth's logs, errors)."""
        return "".join(self._stderr)

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self._http.request(method, self.control_url + path, json=body or {}, timeout=30)
        if response.status_code != 200:
            raise HarnessError(f"{method} {path} -> {response.status_code}: {response.text}")
        return response.json()

    def user(self, email: str | None = None, name: str | None = None, password: str | None = None) -> dict[str, Any]:
        """Sign a user up through Better Auth and return `sub`, `token`, `email`, `name`, `cookie`."""
        return self._call("POST", "/test/users", {"email": email, "name": name, "password": password})

    def token(self, sub: str | None = None) -> str:
        """A fresh `/api/auth/token` JWT for a user made by `user()` (the last one by default)."""
        return self._call("POST", "/test/token", {"sub": sub})["token"]

    def rotate(self) -> str:
        """Create a new signing key the way the plugin does (`createJwk`); returns its kid."""
        return self._call("POST", "/test/rotate")["kid"]

    def sign(
        self,
        *,
        expiration_time: int | str | None = None,
        header: dict[str, Any] | None = None,
        **claims: Any,
    ) -> str:
        """A token signed by Better Auth's current key; claims override the plugin's
        defaults and a claim set to None is left out."""
        body: dict[str, Any] = {"claims": claims, "header": header or {}}
        if expiration_time is not None:
            body["expirationTime"] = expiration_time
        return self._call("POST", "/test/sign", body)["token"]

    def hs256(
        self,
        sub: str | None,
        email: str | None = None,
        name: str | None = None,
        ttl: int = 900,
        **claims: Any,
    ) -> str:
        """An HS256 token as the frontend's own route handler mints it with the secret."""
        given = {"sub": sub, "email": email, "name": name}
        body: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
        body.update(ttl=ttl, claims=claims)
        return self._call("POST", "/test/hs256", body)["token"]

    def stop_jwks(self) -> None:
        """Close the JWKS listener: fetches are refused until `start_jwks()`."""
        self._call("POST", "/test/jwks/stop")

    def start_jwks(self) -> None:
        """Reopen the JWKS listener on the same port."""
        self._call("POST", "/test/jwks/start")

    def jwks_requests(self) -> int:
        """How many JWKS requests the second listener has served."""
        return self._call("GET", "/test/jwks/count")["count"]

    def reset_count(self) -> None:
        self._call("POST", "/test/jwks/reset-count")

    def close(self) -> None:
        """Stop the server (SIGTERM to its PID, SIGKILL if it lingers)."""
        if hasattr(self, "_http"):
            self._http.close()
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=5)
        # Close our pipe ends only after the readers saw EOF, so no thread reads a closed file.
        for reader in self._readers:
            reader.join(timeout=2)
        for stream in (self._process.stdin, self._process.stdout, self._process.stderr):
            if stream is not None:
                stream.close()

    def __enter__(self) -> BetterAuthHarness:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

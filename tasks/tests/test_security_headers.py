"""The security headers of a production response, and the HSTS knobs (README "Security headers")."""
from collections.abc import Callable

import pytest

from .conftest import WebServer

pytestmark = pytest.mark.slow


def test_production_sends_hsts_without_preload_or_subdomains_by_default(service: WebServer) -> None:
    response = service.request("GET", "/health")

    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"


def test_preload_and_subdomains_are_sent_only_when_asked_for(start_service: Callable[..., WebServer]) -> None:
    server = start_service(SECURE_HSTS_PRELOAD="1", SECURE_HSTS_INCLUDE_SUBDOMAINS="true", SECURE_HSTS_SECONDS="63072000")

    response = server.request("GET", "/health")

    assert response.headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains; preload"


def test_hsts_is_only_sent_over_https(service: WebServer) -> None:
    response = service.request("GET", "/health", headers={"X-Forwarded-Proto": "http"})

    assert "Strict-Transport-Security" not in response.headers

"""Verified tokens are remembered per process, never beyond what verifying again would accept."""
import time

import jwt
import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def get_tasks(token: str) -> tuple[int, dict]:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = client.get("/api/user_a/tasks")
    return response.status_code, response.json()


def test_a_remembered_token_still_expires_on_time(settings, make_token):
    settings.JWT_LEEWAY_SECONDS = 0
    token = make_token(lifetime=3)  # exp is whole seconds: 2-3 s ahead, enough for a loaded machine
    expires = jwt.decode(token, options={"verify_signature": False})["exp"]

    first = get_tasks(token)
    time.sleep(max(0.0, expires - time.time()) + 0.2)
    second = get_tasks(token)

    assert first == (200, [])
    assert second == (401, {"detail": "Token expired"})


def test_a_remembered_token_is_refused_after_the_secret_changes(settings, make_token):
    token = make_token()
    assert get_tasks(token)[0] == 200

    settings.BETTER_AUTH_SECRET = "another-secret-of-at-least-32-characters-x"

    assert get_tasks(token) == (401, {"detail": "Invalid token"})


def test_a_remembered_token_is_refused_when_an_audience_is_required(settings, make_token):
    token = make_token()
    assert get_tasks(token)[0] == 200

    settings.BETTER_AUTH_AUDIENCE = "taskflow"

    assert get_tasks(token) == (401, {"detail": "Invalid token"})

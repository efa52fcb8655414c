"""POST /auth/login: one generic 401, the same work for unknown and known e-mails, the
original's message for provider-only accounts, and throttling before the hasher."""
import time

import jwt
import pytest
from django.conf import settings
from django.contrib.auth import hashers

from accounts.models import SignInCounter
from tasks.models import Owner

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


def login(client, email="ada@example.com", password=PASSWORD, address="10.0.0.1", **body):
    return client.post("/auth/login", {"email": email, "password": password, **body}, format="json",
                       REMOTE_ADDR=address)


@pytest.mark.parametrize(("remember_me", "lifetime"), [(False, 86400), (True, 30 * 86400)])
def test_login_answers_the_user_and_a_token(client, make_account, remember_me, lifetime):
    account = make_account()

    response = login(client, email="  ADA@example.com", remember_me=remember_me)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["user"] == {"id": account.id, "email": "ada@example.com", "name": "Ada"}
    claims = jwt.decode(body["token"], settings.BETTER_AUTH_SECRET, algorithms=["HS256"])
    assert claims["sub"] == account.id and claims["exp"] - claims["iat"] == lifetime
    account.user.refresh_from_db()
    assert account.user.last_login is not None
    assert Owner.objects.filter(sub=account.id).exists()


@pytest.mark.parametrize(("email", "password"), [("ada@example.com", "wrong password!"), ("nobody@example.com", PASSWORD)])
def test_wrong_password_and_unknown_email_get_one_answer(client, make_account, email, password):
    make_account()

    response = login(client, email=email, password=password)

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid email or password"}


def test_unknown_email_runs_the_hasher_as_a_known_one_does(client, make_account, monkeypatch):
    make_account()
    calls = []
    real = hashers.PBKDF2PasswordHasher.encode
    monkeypatch.setattr(hashers.PBKDF2PasswordHasher, "encode", lambda self, *a, **k: calls.append(1) or real(self, *a, **k))

    timings = {}
    for email in ["nobody@example.com", "ada@example.com"]:
        calls.clear()
        started = time.perf_counter()
        assert login(client, email=email, password="wrong password!").status_code == 401
        timings[email] = (len(calls), time.perf_counter() - started)

    assert timings["nobody@example.com"][0] == timings["ada@example.com"][0] == 1
    slow, fast = max(t for _, t in timings.values()), min(t for _, t in timings.values())
    assert slow / fast < 2, timings


@pytest.mark.parametrize(("provider", "message"), [
    ("google_id", "This account uses Google sign-in. Please sign in with Google."),
    ("github_id", "This account uses GitHub sign-in. Please sign in with GitHub."),
])
def test_a_provider_only_account_is_told_how_it_signs_in(client, make_account, provider, message):
    make_account(password=None, **{provider: "4242"})

    response = login(client)

    assert (response.status_code, response.json()) == (401, {"detail": message})


def test_a_disabled_user_cannot_sign_in(client, make_account):
    account = make_account()
    account.user.is_active = False
    account.user.save()

    assert login(client).status_code == 401


def test_an_address_over_its_limit_is_throttled_before_any_password_check(client, make_account, settings):
    settings.LOGIN_ADDRESS_LIMIT = 3
    make_account()
    statuses = [login(client, password="wrong password!").status_code for _ in range(3)]

    throttled = login(client)  # the right password, but from this address: refused unchecked

    assert statuses == [401, 401, 401]
    assert throttled.status_code == 429
    assert 0 < int(throttled["Retry-After"]) <= settings.LOGIN_WINDOW_SECONDS
    assert throttled.json()["detail"].startswith("Too many sign-in attempts.")
    # Another address signs the owner in, and the account's count starts over.
    assert login(client, address="10.0.0.2").status_code == 200
    assert not SignInCounter.objects.filter(key="login:account:ada@example.com").exists()


def test_an_account_over_its_limit_is_throttled_from_every_address(client, make_account, settings):
    settings.LOGIN_ACCOUNT_LIMIT = 3
    make_account()
    for n in range(3):
        assert login(client, password="wrong password!", address=f"10.0.1.{n}").status_code == 401

    assert login(client, address="10.0.1.9").status_code == 429
    assert login(client, email="other@example.com", address="10.0.1.9").status_code == 401


def test_a_successful_sign_in_gives_its_address_attempt_back(client, make_account, settings):
    settings.LOGIN_ADDRESS_LIMIT = 2
    make_account()
    for _ in range(5):
        assert login(client).status_code == 200


@pytest.mark.parametrize("body", [
    {"email": "ada@example.com"},
    {"password": PASSWORD},
    {"email": "ada@example.com", "password": PASSWORD, "remember_me": "true"},
    {"email": ["ada@example.com"], "password": PASSWORD},
])
def test_bad_login_bodies_are_a_422_and_count_no_attempt(client, body):
    response = client.post("/auth/login", body, format="json")

    assert response.status_code == 422
    assert not SignInCounter.objects.exists()


@pytest.mark.parametrize(("frontend_server", "expected"), [
    ([], [401] * 3 + [429] * 2),  # a visitor's own address: limited per address
    (["10.0.0.9"], [401] * 5),  # the frontend's server, every visitor behind it: per account only
])
def test_the_frontend_servers_address_is_limited_per_account_only(client, make_account, settings, frontend_server, expected):
    # The original's Next route handlers forward no visitor address: every sign-in of the
    # site arrives from its server, and counting that address would lock everyone out.
    settings.LOGIN_ADDRESS_LIMIT, settings.LOGIN_ACCOUNT_LIMIT = 3, 6
    settings.FRONTEND_SERVER_ADDRESSES = frontend_server
    make_account()

    statuses = [login(client, email=f"visitor{i}@example.com", password="wrong password!", address="10.0.0.9").status_code
                for i in range(5)]

    assert statuses == expected


def test_the_frontend_servers_address_still_counts_per_account(client, make_account, settings):
    settings.LOGIN_ADDRESS_LIMIT, settings.LOGIN_ACCOUNT_LIMIT = 3, 4
    settings.FRONTEND_SERVER_ADDRESSES = ["10.0.0.9"]
    make_account()

    statuses = [login(client, password="wrong password!", address="10.0.0.9").status_code for _ in range(6)]

    assert statuses == [401] * 4 + [429] * 2

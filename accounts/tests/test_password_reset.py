"""Forgot and reset password: the link travels through a real SMTP server, works once,
expires, and never tells whether an address is registered."""
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import User
from django.utils.http import urlsafe_base64_encode

from accounts.views import FORGOT_MESSAGE

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "a brand new passphrase"


def forgot(client, email="ada@example.com", address="10.0.0.1"):
    return client.post("/auth/forgot-password", {"email": email}, format="json", REMOTE_ADDR=address)


def reset(client, token, new_password=NEW_PASSWORD):
    return client.post("/auth/reset-password", {"token": token, "new_password": new_password}, format="json")


def token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


def login(client, password):
    return client.post("/auth/login", {"email": "ada@example.com", "password": password}, format="json")


def test_the_mailed_link_resets_the_password_once(client, make_account, inbox, settings):
    make_account()

    response = forgot(client, email=" ADA@example.com ")

    assert (response.status_code, response.json()) == (200, {"message": FORGOT_MESSAGE})
    assert len(inbox) == 1 and inbox[0]["To"] == "ada@example.com"
    link = inbox.link()
    assert link.startswith(f"{settings.FRONTEND_URL}/reset-password?token=")
    token = token_of(link)

    done = reset(client, token)
    assert done.status_code == 200 and "message" in done.json()
    assert login(client, NEW_PASSWORD).status_code == 200
    assert login(client, PASSWORD).status_code == 401

    again = reset(client, token, "yet another passphrase")
    assert (again.status_code, again.json()) == (400, {"detail": "Invalid or expired reset token"})
    assert login(client, NEW_PASSWORD).status_code == 200


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, make_account, inbox):
    make_account()

    response = forgot(client, email="nobody@example.com")

    assert (response.status_code, response.json()) == (200, {"message": FORGOT_MESSAGE})
    assert inbox == []


def test_a_link_expires(client, make_account, inbox, settings):
    make_account()
    forgot(client)
    settings.PASSWORD_RESET_TIMEOUT = -1  # Django's check: now - made > timeout

    response = reset(client, token_of(inbox.link()))

    assert response.status_code == 400
    assert User.objects.get().check_password(PASSWORD)


@pytest.mark.parametrize("token", ["forged", "MQ.forged-token", "x" * 512, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.a-b",
                                   "LTE.a-b", "."])
def test_a_forged_token_is_a_400(client, make_account, token):
    make_account()

    response = reset(client, token)

    assert (response.status_code, response.json()) == (400, {"detail": "Invalid or expired reset token"})
    assert User.objects.get().check_password(PASSWORD)


def test_a_new_password_follows_the_password_rules(client, make_account, inbox):
    make_account()
    forgot(client)
    token = token_of(inbox.link())

    response = reset(client, token, "password123")

    assert response.status_code == 422
    assert [item["loc"] for item in response.json()["detail"]] == [["body", "new_password"]]
    assert reset(client, token).status_code == 200  # the token was not used up by the refusal


def test_a_signed_in_session_since_the_mail_makes_the_link_stale(client, make_account, inbox):
    """Django's token hashes last_login: signing in after asking for the link retires it."""
    make_account()
    forgot(client)
    assert login(client, PASSWORD).status_code == 200

    assert reset(client, token_of(inbox.link())).status_code == 400


def test_reset_mails_are_throttled_per_address(client, make_account, inbox, settings):
    settings.LOGIN_ADDRESS_LIMIT = 2
    make_account()
    responses = [forgot(client) for _ in range(3)]

    assert [response.status_code for response in responses] == [200, 200, 429]
    assert responses[-1].json()["detail"].startswith("Too many password reset requests.")
    assert len(inbox) == 2


def test_a_mail_server_that_is_down_changes_nothing_in_the_answer(client, make_account, settings):
    make_account()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, False, 2

    response = forgot(client)

    assert (response.status_code, response.json()) == (200, {"message": FORGOT_MESSAGE})


def test_a_forged_token_for_a_real_user_is_a_400(client, make_account):
    account = make_account()
    real_uid = urlsafe_base64_encode(str(account.user_id).encode())

    response = reset(client, f"{real_uid}.cz4b6r-0123456789abcdef0123456789abcdef")

    assert (response.status_code, response.json()) == (400, {"detail": "Invalid or expired reset token"})
    assert User.objects.get().check_password(PASSWORD)

"""The Account admin as support staff use it."""
import pytest

from tasks.tests.test_admin import support, support_user  # noqa: F401, F811  # the Support group's client

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/accounts/account/"


def test_support_finds_an_account_by_email_and_sees_how_it_signs_in(support, make_account):
    ada = make_account(email="ada@example.com", google_id="g-1")
    make_account(email="bob@example.com", name="Bob")

    page = support.get(CHANGELIST, {"q": "ada@"})

    assert page.status_code == 200
    text = page.content.decode()
    assert "ada@example.com" in text and "bob@example.com" not in text
    assert "password, google" in text
    detail = support.get(f"{CHANGELIST}{ada.pk}/change/").content.decode()
    assert "password, google" in detail and "Joined" in detail
    for secret in [ada.user.password, ada.user.password.split("$")[-1], "pbkdf2_sha256"]:
        assert secret not in text and secret not in detail


def test_support_sends_a_reset_mail_from_the_list(support, make_account, inbox):
    ada = make_account()

    page = support.post(CHANGELIST, {"action": "send_password_reset", "_selected_action": [ada.pk]}, follow=True)

    assert page.status_code == 200
    assert "Sent a reset mail to ada@example.com." in page.content.decode()
    assert len(inbox) == 1 and "/reset-password?token=" in inbox.link()


def test_support_cannot_add_or_delete_accounts(support, make_account):
    ada = make_account()

    assert support.get(f"{CHANGELIST}add/").status_code == 403
    assert support.get(f"{CHANGELIST}{ada.pk}/delete/").status_code == 403

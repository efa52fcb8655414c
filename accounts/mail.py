"""The password-reset mail, through Django's e-mail framework (EMAIL_URL in settings)."""
import logging
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import send_mail

from .models import Account
from .tokens import password_reset_token

logger = logging.getLogger(__name__)

SUBJECT = "Reset your TaskFlow password"
BODY = """Hello {name},

someone (hopefully you) asked to reset the password of your TaskFlow account.
Open this link to choose a new one; it works once, for {minutes} minutes:

{link}

If you did not ask for this, ignore this mail: your password stays as it is.
"""


def reset_link(account: Account) -> str:
    return f"{settings.FRONTEND_URL}/reset-password?{urlencode({'token': password_reset_token(account)})}"


def send_reset_mail_soon(account: Account) -> None:
    """For POST /auth/forgot-password: send without making the answer wait. Its time would
    otherwise tell a registered address (an SMTP round trip) from an unknown one. Under
    the gevent workers the mail leaves from a greenlet of its own (it needs no database:
    the link is made here); a worker stopped meanwhile loses it, and the user asks again."""
    try:
        from gevent import monkey, spawn
    except ImportError:  # pragma: no cover - gevent is a runtime dependency
        monkey = None
    if monkey is None or not monkey.is_module_patched("socket"):
        send_reset_mail(account)
        return
    link = reset_link(account)
    spawn(send_reset_mail, account, link)


def send_reset_mail(account: Account, link: str | None = None) -> bool:
    """Send the link; False (logged) when the mail server refused or did not answer."""
    body = BODY.format(name=account.name, minutes=settings.PASSWORD_RESET_TIMEOUT // 60, link=link or reset_link(account))
    try:
        send_mail(SUBJECT, body, settings.DEFAULT_FROM_EMAIL, [account.email])
    except OSError:  # smtplib's errors, refused connections and timeouts alike
        logger.error("Could not send a password reset mail", exc_info=True)
        return False
    return True

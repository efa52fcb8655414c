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


def send_reset_mail(account: Account) -> bool:
    """Send the link; False (logged) when the mail server refused or did not answer."""
    body = BODY.format(name=account.name, minutes=settings.PASSWORD_RESET_TIMEOUT // 60, link=reset_link(account))
    try:
        send_mail(SUBJECT, body, settings.DEFAULT_FROM_EMAIL, [account.email])
    except OSError:  # smtplib's errors, refused connections and timeouts alike
        logger.error("Could not send a password reset mail", exc_info=True)
        return False
    return True

"""The two kinds of token this app hands out: API tokens (the HS256 JWTs that
tasks.authentication verifies) and password-reset tokens (Django's generator)."""
import time

import jwt
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from .models import Account

DAY = 24 * 60 * 60
SESSION_SECONDS = DAY
REMEMBERED_SESSION_SECONDS = 30 * DAY


def api_token(account: Account, remember_me: bool = False) -> str:
    """The original's token: sub, email, iat, exp (1 day, 30 with remember_me), HS256 with
    BETTER_AUTH_SECRET; plus `name`, which the frontend's OAuth callback page reads."""
    now = int(time.time())
    lifetime = REMEMBERED_SESSION_SECONDS if remember_me else SESSION_SECONDS
    claims = {"sub": account.id, "email": account.email, "name": account.name, "iat": now, "exp": now + lifetime}
    return jwt.encode(claims, settings.BETTER_AUTH_SECRET, algorithm="HS256")


def password_reset_token(account: Account) -> str:
    """`<user pk, base64>.<Django token>`: one string for the frontend's ?token=. Django's
    token hashes the password hash and last_login, so it stops working once used."""
    uid = urlsafe_base64_encode(force_bytes(account.user_id))
    return f"{uid}.{default_token_generator.make_token(account.user)}"


def account_for_reset_token(token: str) -> Account | None:
    """The account a reset token is valid for now, or None (forged, used or expired)."""
    uid, _, user_token = token.partition(".")
    try:
        user_pk = int(force_str(urlsafe_base64_decode(uid)))
    except (ValueError, TypeError, UnicodeDecodeError):
        return None
    if not 0 < user_pk < 2**63:
        return None
    account = Account.objects.select_related("user").filter(user_id=user_pk, user__is_active=True).first()
    if account is None or not default_token_generator.check_token(account.user, user_token):
        return None
    return account

"""Signing in with a password: the one place that looks an e-mail up and runs the hasher."""
from django.contrib.auth.models import User, update_last_login

from .exceptions import InvalidCredentials
from .models import Account

PROVIDER_NAMES = {"google": "Google", "github": "GitHub"}


def authenticate(email: str, password: str) -> Account:
    """The account whose password this is, or InvalidCredentials: one message, and the
    hasher runs for an unknown e-mail too (on a throwaway user, as Django's ModelBackend
    does), so the answer takes as long whether the address is registered or not."""
    account = Account.objects.select_related("user").filter(email=email, user__is_active=True).first()
    if account is None:
        User().set_password(password)
        raise InvalidCredentials()
    user = account.user
    if not user.has_usable_password():
        User().set_password(password)
        provider = PROVIDER_NAMES.get(account.sign_in_methods[0] if account.sign_in_methods else "", "Google")
        # The original's message: the account exists, but only through a provider.
        raise InvalidCredentials(f"This account uses {provider} sign-in. Please sign in with {provider}.")
    # check_password upgrades an adopted bcrypt hash to the default hasher on success.
    if not user.check_password(password):
        raise InvalidCredentials()
    update_last_login(None, user)
    return account

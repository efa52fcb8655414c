"""Signing in with a password: the one place that looks an e-mail up and runs the hasher."""
from django.contrib.auth.models import User
from django.utils import timezone

from .exceptions import InvalidCredentials
from .models import Account
from .passwords import hash_password, needs_rehash, password_matches

PROVIDER_NAMES = {"google": "Google", "github": "GitHub"}


def authenticate(email: str, password: str) -> Account:
    """The account whose password this is, or InvalidCredentials: one message, and the
    hasher runs for an unknown e-mail too (as Django's ModelBackend does), so the answer
    takes as long whether the address is registered or not."""
    account = Account.objects.select_related("user").filter(email=email, user__is_active=True).first()
    if account is None:
        hash_password(password)
        raise InvalidCredentials()
    user = account.user
    if not user.has_usable_password():
        hash_password(password)
        provider = PROVIDER_NAMES.get(account.sign_in_methods[0] if account.sign_in_methods else "", "Google")
        # The original's message: the account exists, but only through a provider.
        raise InvalidCredentials(f"This account uses {provider} sign-in. Please sign in with {provider}.")
    if not password_matches(password, user.password):
        raise InvalidCredentials()
    changed = {"last_login": timezone.now()}
    if needs_rehash(user.password):  # an adopted bcrypt hash: the default hasher from now on
        changed["password"] = hash_password(password)
    User.objects.filter(pk=user.pk).update(**changed)
    for name, value in changed.items():
        setattr(user, name, value)
    return account

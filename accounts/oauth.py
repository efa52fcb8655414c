"""Google and GitHub sign-in with Authlib's OAuth 2 client: the authorization URL (with
state, and PKCE S256 where the frontend hands the state back), the code exchange, and
who the provider says the user is. Endpoints come from settings, so tests run a provider
of their own."""
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError
from django.utils import timezone

from tasks import sql

from .exceptions import NotConfigured, SignInFailed
from .models import Account, OAuthState, normalize_email
from .signin import PROVIDER_NAMES


@dataclass(frozen=True)
class Identity:
    """What a provider vouches for: its own user id and a verified e-mail address."""

    provider: str
    provider_id: str
    email: str
    name: str


def _setting(provider: str, name: str) -> str:
    return getattr(settings, f"{provider.upper()}_{name}")


def _session(provider: str) -> OAuth2Session:
    client_id, client_secret = _setting(provider, "CLIENT_ID"), _setting(provider, "CLIENT_SECRET")
    if not client_id or not client_secret:
        raise NotConfigured(f"{PROVIDER_NAMES[provider]} OAuth is not configured")
    scope = "openid email profile" if provider == "google" else "read:user user:email"
    # The provider sends the browser to the frontend's callback route, which forwards the
    # code (and GitHub's state) here: the redirect_uri of the original.
    redirect_uri = f"{settings.FRONTEND_URL}/api/auth/callback/{provider}"
    return OAuth2Session(client_id, client_secret, scope=scope, redirect_uri=redirect_uri,
                         code_challenge_method="S256")


def authorization_url(provider: str) -> str:
    """Where the start route sends the browser. GitHub's state is stored (with the PKCE
    verifier) for its callback to check; the frontend's Google callback drops the state,
    so Google's is sent as the protocol asks but cannot be checked, and gets no PKCE."""
    session = _session(provider)
    if provider == "google":
        url, _ = session.create_authorization_url(settings.GOOGLE_AUTHORIZE_URL, code_verifier=None,
                                                  access_type="offline", prompt="consent")
        return url
    state, verifier = secrets.token_urlsafe(32), generate_token(64)
    expired = timezone.now() - timedelta(seconds=settings.OAUTH_STATE_SECONDS)
    OAuthState.objects.filter(created__lt=expired).delete()
    OAuthState.objects.create(state=state, provider=provider, code_verifier=verifier)
    url, _ = session.create_authorization_url(settings.GITHUB_AUTHORIZE_URL, state=state, code_verifier=verifier)
    return url


def take_state(provider: str, state: str) -> str:
    """The PKCE verifier of a state this service issued lately; the state is used up."""
    _session(provider)  # "not configured" comes before anything about the state
    row = sql.execute_one(
        f"DELETE FROM {sql.table(OAuthState)} WHERE state = %s AND provider = %s "
        "AND created > statement_timestamp() - make_interval(secs => %s) RETURNING code_verifier",
        [state, provider, settings.OAUTH_STATE_SECONDS],
    )
    if row is None:
        raise SignInFailed("Invalid or expired OAuth state; please sign in again")
    return row[0]


def identity(provider: str, code: str, code_verifier: str | None = None) -> Identity:
    """Exchange the code and ask the provider who signed in; SignInFailed if anything fails."""
    session = _session(provider)
    timeout = settings.OAUTH_TIMEOUT_SECONDS
    name = PROVIDER_NAMES[provider]
    try:
        token_url = _setting(provider, "TOKEN_URL")
        session.fetch_token(token_url, code=code, code_verifier=code_verifier, timeout=timeout)
        if provider == "google":
            return _google_identity(_json(session.get(settings.GOOGLE_USERINFO_URL, timeout=timeout)))
        user = _json(session.get(f"{settings.GITHUB_API_URL}/user", timeout=timeout))
        emails = _json(session.get(f"{settings.GITHUB_API_URL}/user/emails", timeout=timeout))
        return _github_identity(user, emails)
    except OAuthError as exc:
        raise SignInFailed(f"{name} refused the sign-in: {exc.error}") from None
    except (requests.RequestException, ValueError, KeyError, TypeError, AttributeError):
        raise SignInFailed(f"Could not complete the {name} sign-in") from None


def _json(response: requests.Response) -> Any:
    response.raise_for_status()
    return response.json()


def _checked(who: Identity) -> Identity:
    """What the provider said, within what an account can hold (else a 400, never a 500)."""
    name = PROVIDER_NAMES[who.provider]
    try:
        validate_email(who.email)
    except ValidationError:
        raise SignInFailed(f"{name} gave no usable e-mail address") from None
    if len(who.email) > 255 or not 0 < len(who.provider_id) <= 255 or "\x00" in who.provider_id + who.name:
        raise SignInFailed(f"Invalid user data from {name}")
    return Identity(who.provider, who.provider_id, who.email, who.name.strip()[:100] or who.email.split("@")[0][:100])


def _google_identity(info: dict[str, Any]) -> Identity:
    email = normalize_email(str(info.get("email") or ""))
    verified = info.get("verified_email", info.get("email_verified"))
    if not info.get("id") and not info.get("sub") or not email:
        raise SignInFailed("Invalid user data from Google")
    if verified is not True:
        raise SignInFailed("Your Google e-mail address is not verified")
    return _checked(Identity("google", str(info.get("id") or info["sub"]), email, str(info.get("name") or "")))


def _github_identity(user: dict[str, Any], emails: list[dict[str, Any]]) -> Identity:
    verified = [e for e in emails if e.get("verified") is True and isinstance(e.get("email"), str)]
    primary = next((e for e in verified if e.get("primary") is True), verified[0] if verified else None)
    if not user.get("id") or primary is None:
        raise SignInFailed("Your GitHub account has no verified e-mail address")
    email = normalize_email(primary["email"])
    return _checked(Identity("github", str(user["id"]), email, str(user.get("name") or user.get("login") or "")))


def account_for(who: Identity) -> Account:
    """The account this identity signs in to: the one linked to it, else the one with its
    (verified) e-mail, now linked, as the original did; else a new one without a password."""
    field = f"{who.provider}_id"
    for _ in range(2):  # a second look when a parallel first sign-in created it meanwhile
        account = Account.objects.select_related("user").filter(**{field: who.provider_id}).first()
        if account is None:
            account = Account.objects.select_related("user").with_email(who.email).first()
            if account is not None and getattr(account, field) not in (None, who.provider_id):
                raise SignInFailed(f"This e-mail address is linked to another {PROVIDER_NAMES[who.provider]} account")
            if account is not None:
                account.link_provider(who.provider, who.provider_id)
        if account is not None:
            if not account.user.is_active:
                raise SignInFailed("This account is disabled")
            return account
        try:
            return Account.objects.register(name=who.name, email=who.email, password=None,
                                            **{field: who.provider_id})
        except IntegrityError:
            continue
    raise SignInFailed(f"Could not complete the {PROVIDER_NAMES[who.provider]} sign-in")

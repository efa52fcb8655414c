"""Google and GitHub sign-in against a provider of the test's own (accounts/tests/provider.py),
through the routes the original frontend calls."""
import jwt
import pytest
from django.conf import settings

from accounts.models import Account, OAuthState

from .conftest import PASSWORD
from .provider import query_of

pytestmark = pytest.mark.django_db
GOOGLE_ADA = {"id": "g-1", "email": "Ada@Example.com", "verified_email": True, "name": "Ada Lovelace"}
GITHUB_ADA = {"id": 4242, "login": "ada", "name": None}
GITHUB_EMAILS = [{"email": "old@example.com", "verified": True, "primary": False},
                 {"email": "ada@example.com", "verified": True, "primary": True}]


def google_sign_in(client, provider):
    start = client.get("/auth/google")
    assert start.status_code == 302
    return client.post(f"/auth/google/callback?code={provider.consent(start['Location'])['code']}")


def github_sign_in(client, provider, **query_overrides):
    start = client.get("/auth/github")
    assert start.status_code == 302
    query = {**provider.consent(start["Location"]), **query_overrides}
    return client.get("/auth/callback/github", query)


@pytest.mark.parametrize(("path", "message"), [("/auth/google", "Google OAuth is not configured"),
                                               ("/auth/github", "GitHub OAuth is not configured"),
                                               ("/auth/google/callback?code=x", "Google OAuth is not configured")])
def test_a_provider_without_client_credentials_is_a_503(client, path, message):
    response = client.post(path) if "callback" in path else client.get(path)

    assert (response.status_code, response.json()) == (503, {"detail": message})
    assert "Retry-After" in response


def test_the_google_start_route_redirects_to_the_provider(client, provider):
    response = client.get("/auth/google")

    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(f"{provider.url}/authorize?")
    query = query_of(location)
    assert query["client_id"] == "test-client-id" and query["response_type"] == "code"
    assert query["redirect_uri"] == f"{settings.FRONTEND_URL}/api/auth/callback/google"
    assert query["state"] and set(query["scope"].split()) == {"openid", "email", "profile"}


def test_a_google_sign_in_creates_the_account_and_answers_a_token(client, provider):
    provider.google_user = GOOGLE_ADA

    response = google_sign_in(client, provider)

    assert response.status_code == 200, response.content
    account = Account.objects.get()
    assert (account.email, account.name, account.google_id) == ("ada@example.com", "Ada Lovelace", "g-1")
    assert not account.user.has_usable_password()
    assert response.json()["user"] == {"id": account.id, "email": "ada@example.com", "name": "Ada Lovelace"}
    claims = jwt.decode(response.json()["token"], settings.BETTER_AUTH_SECRET, algorithms=["HS256"])
    assert claims["sub"] == account.id and claims["exp"] - claims["iat"] == 30 * 86400
    # A second sign-in finds the same account.
    assert google_sign_in(client, provider).json()["user"]["id"] == account.id
    assert Account.objects.count() == 1


def test_a_google_sign_in_links_the_password_account_of_its_address(client, provider, make_account):
    account = make_account()
    provider.google_user = GOOGLE_ADA

    response = google_sign_in(client, provider)

    assert response.json()["user"]["id"] == account.id
    account.refresh_from_db()
    assert account.google_id == "g-1" and account.sign_in_methods == ["password", "google"]
    assert account.user.check_password(PASSWORD)


@pytest.mark.parametrize(("user", "detail"), [
    ({**GOOGLE_ADA, "verified_email": False}, "Your Google e-mail address is not verified"),
    ({"id": "g-1"}, "Invalid user data from Google"),
])
def test_google_user_data_that_cannot_sign_in_is_a_400(client, provider, make_account, user, detail):
    make_account()
    provider.google_user = user

    response = google_sign_in(client, provider)

    assert (response.status_code, response.json()) == (400, {"detail": detail})
    assert Account.objects.get().google_id is None


def test_a_code_the_provider_refuses_is_a_400(client, provider):
    response = client.post("/auth/google/callback?code=never-issued")

    assert response.status_code == 400
    assert response.json() == {"detail": "Google refused the sign-in: invalid_grant"}


def test_the_github_start_stores_state_and_sends_a_pkce_challenge(client, provider):
    response = client.get("/auth/github")

    query = query_of(response["Location"])
    assert query["redirect_uri"] == f"{settings.FRONTEND_URL}/api/auth/callback/github"
    assert query["code_challenge_method"] == "S256" and query["code_challenge"]
    stored = OAuthState.objects.get()
    assert (stored.state, stored.provider) == (query["state"], "github")
    assert stored.code_verifier not in response["Location"]


def test_a_github_sign_in_redirects_to_the_frontend_with_a_token(client, provider):
    provider.github_user, provider.github_emails = GITHUB_ADA, GITHUB_EMAILS

    response = github_sign_in(client, provider)

    assert response.status_code == 302
    assert response["Location"].startswith(f"{settings.FRONTEND_URL}/auth/callback?")
    query = query_of(response["Location"])
    account = Account.objects.get()
    assert (account.email, account.name, account.github_id) == ("ada@example.com", "ada", "4242")
    assert jwt.decode(query["token"], settings.BETTER_AUTH_SECRET, algorithms=["HS256"])["sub"] == account.id
    assert provider.token_requests[-1]["code_verifier"]  # PKCE: the provider checked it
    assert not OAuthState.objects.exists()  # the state is used up


def error_of(response) -> str:
    assert response.status_code == 302
    assert response["Location"].startswith(f"{settings.FRONTEND_URL}/auth/callback?error=")
    return query_of(response["Location"])["error"]


def test_a_github_state_works_once(client, provider):
    provider.github_user, provider.github_emails = GITHUB_ADA, GITHUB_EMAILS
    start = client.get("/auth/github")
    first = provider.consent(start["Location"])
    assert "token" in query_of(client.get("/auth/callback/github", first)["Location"])
    replay = {"code": provider.consent(start["Location"])["code"], "state": first["state"]}

    assert error_of(client.get("/auth/callback/github", replay)) == "Invalid or expired OAuth state; please sign in again"


@pytest.mark.parametrize("overrides", [{"state": "forged-state"}, {"state": ""}, {"code": ""}])
def test_a_github_callback_with_a_bad_state_or_code_redirects_with_an_error(client, provider, overrides):
    provider.github_user, provider.github_emails = GITHUB_ADA, GITHUB_EMAILS

    error = error_of(github_sign_in(client, provider, **overrides))

    assert error
    assert not Account.objects.exists()


def test_an_expired_github_state_is_refused(client, provider, settings):
    provider.github_user, provider.github_emails = GITHUB_ADA, GITHUB_EMAILS
    start = client.get("/auth/github")
    settings.OAUTH_STATE_SECONDS = 0

    response = client.get("/auth/callback/github", provider.consent(start["Location"]))

    assert error_of(response) == "Invalid or expired OAuth state; please sign in again"


def test_a_github_account_without_a_verified_address_is_refused(client, provider):
    provider.github_user = GITHUB_ADA
    provider.github_emails = [{"email": "ada@example.com", "verified": False, "primary": True}]

    assert error_of(github_sign_in(client, provider)) == "Your GitHub account has no verified e-mail address"
    assert not Account.objects.exists()


def test_the_github_callback_when_not_configured_redirects_with_the_reason(client):
    response = client.get("/auth/callback/github", {"code": "c", "state": "s"})

    assert error_of(response) == "GitHub OAuth is not configured"


@pytest.mark.parametrize(("user", "detail"), [
    ({**GOOGLE_ADA, "email": "x" * 250 + "@example.com"}, "Invalid user data from Google"),
    ({**GOOGLE_ADA, "email": "not an address"}, "Google gave no usable e-mail address"),
    ({**GOOGLE_ADA, "id": "9" * 300}, "Invalid user data from Google"),
    ({**GOOGLE_ADA, "name": "Ada\x00"}, "Invalid user data from Google"),
])
def test_provider_data_an_account_cannot_hold_is_a_400(client, provider, user, detail):
    provider.google_user = user

    response = google_sign_in(client, provider)

    assert (response.status_code, response.json()) == (400, {"detail": detail})
    assert not Account.objects.exists()


def test_a_long_provider_name_is_cut_to_what_an_account_holds(client, provider):
    provider.google_user = {**GOOGLE_ADA, "name": "A" * 300}

    assert google_sign_in(client, provider).status_code == 200
    assert Account.objects.get().name == "A" * 100


@pytest.mark.parametrize(("query", "type_"), [("", "missing"), ("?code=" + "c" * 257, "string_too_long"),
                                              ("?code=a%00b", "value_error")])
def test_a_google_callback_query_out_of_bounds_is_a_422(client, provider, query, type_):
    response = client.post(f"/auth/google/callback{query}")

    assert response.status_code == 422
    assert [(item["loc"], item["type"]) for item in response.json()["detail"]] == [(["query", "code"], type_)]

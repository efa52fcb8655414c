"""Provider sign-in routes, as the original frontend calls them (API.md "Accounts"):
the browser opens the start route; the provider sends it to the frontend's
/api/auth/callback/<provider>, which forwards the code here."""
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponseRedirect
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response

from . import oauth, schema
from .serializers import callback_query
from .views import PublicView, signed_in


def frontend_callback(**query: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"{settings.FRONTEND_URL}/auth/callback?{urlencode(query)}")


class ProviderStartView(PublicView):
    """GET /auth/google, /auth/github: to the provider's consent page."""

    provider = ""

    @extend_schema(**schema.PROVIDER_START)
    def get(self, request: Request) -> HttpResponseRedirect:
        return HttpResponseRedirect(oauth.authorization_url(self.provider))


class GoogleCallbackView(PublicView):
    """POST /auth/google/callback?code=: the frontend's Google callback forwards the code."""

    @extend_schema(**schema.GOOGLE_CALLBACK)
    def post(self, request: Request) -> Response:
        code = callback_query(request.query_params, ["code"])["code"]
        return Response(signed_in(oauth.account_for(oauth.identity("google", code)), remember_me=True))


class GitHubCallbackView(PublicView):
    """Always a redirect to the frontend: the token, or the error's detail."""

    @extend_schema(**schema.GITHUB_CALLBACK)
    def get(self, request: Request) -> HttpResponseRedirect:
        try:
            params = callback_query(request.query_params, ["code", "state"])
            verifier = oauth.take_state("github", params["state"])
            account = oauth.account_for(oauth.identity("github", params["code"], verifier))
        except APIException as exc:
            detail = exc.detail if isinstance(exc.detail, str) else "Missing or malformed OAuth parameters"
            return frontend_callback(error=str(detail))
        return frontend_callback(token=signed_in(account, remember_me=True)["token"], provider="github")

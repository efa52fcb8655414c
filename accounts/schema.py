"""What /openapi.json says about /auth/: each route's answers, errors and headers."""
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from tasks.openapi import BODY_ERRORS, RETRY_AFTER, Error

from .serializers import (
    CALLBACK_LIMITS,
    AuthResponseSerializer,
    ForgotPasswordSerializer,
    LoginSerializer,
    MessageSerializer,
    RegisterSerializer,
    ResetPasswordSerializer,
)

TAGS = ["auth"]
ERRORS = {
    **BODY_ERRORS,
    405: OpenApiResponse(Error, "Method not allowed"),
    500: OpenApiResponse(Error, "Internal server error"),
    503: OpenApiResponse(Error, "Database unavailable, or the service busy; retry after Retry-After seconds"),
}
THROTTLED = {429: OpenApiResponse(Error, "Too many attempts from this address or for this e-mail; retry after "
                                         "Retry-After seconds")}
LOCATION = OpenApiParameter("Location", str, OpenApiParameter.HEADER, response=[302],
                            description="Where the browser goes next")
# No NUL either (callback_query answers it 422), stated like the list's query parameters.
CODE = OpenApiParameter("code", {"type": "string", "minLength": 1, "maxLength": CALLBACK_LIMITS["code"],
                                 "pattern": "^[^\\x00]*$"}, required=True,
                        description="The provider's authorization code")
NOT_CONFIGURED = {503: OpenApiResponse(Error, "<Provider> OAuth is not configured (no client id/secret), or the "
                                              "database is unavailable")}


def _public(summary: str, responses: dict, **kwargs: object) -> dict:
    return {"summary": summary, "tags": TAGS, "auth": [], "responses": {**responses, **ERRORS},
            "parameters": [RETRY_AFTER, *kwargs.pop("parameters", [])], **kwargs}


REGISTER = _public("Create an account; answers the user and a token (signed in at once)",
                   {201: AuthResponseSerializer, 409: OpenApiResponse(Error, "A user with this email already exists"),
                    **THROTTLED},
                   request=RegisterSerializer)
LOGIN = _public("Sign in with e-mail and password (a 30-day token with remember_me)",
                {200: AuthResponseSerializer, 401: OpenApiResponse(Error, "Invalid email or password (or: this "
                                                                          "account uses Google/GitHub sign-in)"),
                 **THROTTLED}, request=LoginSerializer)
FORGOT = _public("Mail a password reset link, if the address has an account (the answer is the same either way)",
                 {200: MessageSerializer, **THROTTLED}, request=ForgotPasswordSerializer)
RESET = _public("Set a new password with the token from the reset mail (single use, expires)",
                {200: MessageSerializer, 400: OpenApiResponse(Error, "Invalid or expired reset token")},
                request=ResetPasswordSerializer)
PROVIDER_START = _public("Start a provider sign-in: redirect to its consent page, with state",
                         {302: OpenApiResponse(None, "To the provider"), **NOT_CONFIGURED},
                         parameters=[LOCATION], request=None)
GOOGLE_CALLBACK = _public("Finish a Google sign-in with its code (the frontend's callback route forwards it)",
                          {200: AuthResponseSerializer, 400: OpenApiResponse(Error, "The code or Google's answer "
                                                                                   "was refused"),
                           **NOT_CONFIGURED}, parameters=[CODE], request=None)
# Any query is answered with the redirect (a missing or bad code or state with ?error=),
# so the schema states no rule that a request could break.
GITHUB_CALLBACK = _public("Finish a GitHub sign-in: redirect to the frontend's /auth/callback with ?token= (or ?error=)",
                          {302: OpenApiResponse(None, "To FRONTEND_URL/auth/callback?token=... or, for a missing, "
                                                      "used, expired or forged code or state, ?error=...")},
                          parameters=[OpenApiParameter("code", str, description="The provider's authorization code"),
                                      OpenApiParameter("state", str, description="The state this service sent to "
                                                                                 "GitHub (single use)"),
                                      LOCATION], request=None)

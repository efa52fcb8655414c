"""The errors of /auth/, raised like tasks.exceptions' and rendered by tasks.handlers."""
from rest_framework import status
from rest_framework.exceptions import APIException

from tasks.exceptions import Conflict, ServiceUnavailable

__all__ = ["Conflict", "InvalidCredentials", "InvalidResetToken", "NotConfigured", "SignInFailed"]


class InvalidCredentials(APIException):
    """401 from a view without authentication classes: DRF would turn AuthenticationFailed
    into a 403 there (no WWW-Authenticate to offer), so this is a plain APIException."""

    status_code = status.HTTP_401_UNAUTHORIZED
    default_detail = "Invalid email or password"


class InvalidResetToken(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "Invalid or expired reset token"


class SignInFailed(APIException):
    """A provider sign-in that cannot finish: bad code, state, or provider answer."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "Sign-in failed"


class NotConfigured(ServiceUnavailable):
    """503 `<Provider> OAuth is not configured` (the original's words)."""

"""The request and response shapes of /auth/ (the original's RegisterDTO, LoginDTO,
ForgotPasswordDTO, ResetPasswordDTO and AuthResponseDTO), with tasks' strict fields."""
from typing import Any

from django.contrib.auth import password_validation
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import EmailValidator
from rest_framework import serializers

from tasks.exceptions import RequestValidationError
from tasks.serializers import ObjectBodyMixin, StrictBooleanField, StrictCharField

from .models import normalize_email

EMAIL_MESSAGE = "value is not a valid email address"


def email_field(**kwargs: Any) -> StrictCharField:
    return StrictCharField(min_length=5, max_length=255, validators=[EmailValidator(EMAIL_MESSAGE, code="value_error")],
                           **kwargs)


def password_field() -> StrictCharField:
    # Never trimmed: spaces are part of a password.
    return StrictCharField(min_length=8, max_length=128, trim_whitespace=False)


def check_password_rules(password: str, email: str, name: str = "", field: str = "password") -> None:
    """Django's AUTH_PASSWORD_VALIDATORS (common, numeric, too close to the e-mail or
    name) on top of the original's 8-128 characters."""
    try:
        password_validation.validate_password(password, User(email=email, first_name=name))
    except DjangoValidationError as exc:
        raise serializers.ValidationError(
            {field: [serializers.ErrorDetail(message, code=error.code or "value_error")
                          for error in exc.error_list for message in error.messages]}
        ) from None


class RegisterSerializer(ObjectBodyMixin, serializers.Serializer):
    name = StrictCharField(min_length=1, max_length=100)
    email = email_field()
    password = password_field()
    # The original accepts and ignores it (its frontend checks the box); so do we.
    terms_accepted = StrictBooleanField(required=False, default=True)

    def validate_email(self, value: str) -> str:
        return normalize_email(value)

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        check_password_rules(data["password"], data["email"], data["name"])
        return data


class LoginSerializer(ObjectBodyMixin, serializers.Serializer):
    # Any string: an address that is not one is simply not registered (the generic 401).
    email = StrictCharField(min_length=1, max_length=255)
    password = StrictCharField(min_length=1, max_length=1024, trim_whitespace=False)
    remember_me = StrictBooleanField(required=False, default=False)

    def validate_email(self, value: str) -> str:
        return normalize_email(value)


class ForgotPasswordSerializer(ObjectBodyMixin, serializers.Serializer):
    email = email_field()

    def validate_email(self, value: str) -> str:
        return normalize_email(value)


class ResetPasswordSerializer(ObjectBodyMixin, serializers.Serializer):
    token = StrictCharField(min_length=1, max_length=512, trim_whitespace=False)
    new_password = password_field()


class UserSerializer(serializers.Serializer):
    id = serializers.CharField()
    email = serializers.CharField()
    name = serializers.CharField()


class AuthResponseSerializer(serializers.Serializer):
    user = UserSerializer()
    token = serializers.CharField(help_text="HS256 JWT: sub, email, name, iat, exp")


class MessageSerializer(serializers.Serializer):
    message = serializers.CharField()



# Real codes are tens of characters; 256, each up to 12 bytes percent-encoded, keeps the
# request line within gunicorn's limit (beyond it: 414 before Django).
CALLBACK_LIMITS = {"code": 256, "state": 64}


def callback_query(query: Any, names: list[str]) -> dict[str, str]:
    """?code= (and GitHub's &state=) of a provider callback, or a 422 at ["query", name]."""
    errors, values = [], {}
    for name in names:
        value = query.get(name, "")
        if not value:
            errors.append({"loc": ["query", name], "msg": "Field required", "type": "missing"})
        elif len(value) > CALLBACK_LIMITS[name]:
            errors.append({"loc": ["query", name], "msg": f"String should have at most {CALLBACK_LIMITS[name]} "
                           "characters", "type": "string_too_long"})
        elif "\x00" in value:
            errors.append({"loc": ["query", name], "msg": "Value error, String should not contain NUL characters",
                           "type": "value_error"})
        values[name] = value
    if errors:
        raise RequestValidationError(errors)
    return values

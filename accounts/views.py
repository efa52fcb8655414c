"""/auth/: sign up, sign in, password reset (API.md "Accounts"); provider sign-in is in
accounts.oauth_views."""
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tasks.owners import record_owner

from . import mail, schema
from .exceptions import Conflict, InvalidResetToken
from .models import Account
from .passwords import hash_password
from .serializers import (
    ForgotPasswordSerializer,
    LoginSerializer,
    RegisterSerializer,
    ResetPasswordSerializer,
    check_password_rules,
)
from .signin import authenticate
from .throttle import SignInThrottle
from .tokens import account_for_reset_token, api_token

FORGOT_MESSAGE = "If an account exists with this email, you will receive a password reset link."
RESET_MESSAGE = "Your password has been reset. You can now sign in with it."


def signed_in(account: Account, remember_me: bool = False) -> dict[str, Any]:
    """The original's AuthResponseDTO; the owner directory learns who the subject is."""
    record_owner({"sub": account.id, "email": account.email, "name": account.name})
    return {"user": {"id": account.id, "email": account.email, "name": account.name},
            "token": api_token(account, remember_me)}


class PublicView(APIView):
    """No bearer token on /auth/: these routes are how one gets a token."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    throttle_classes: list[type] = []

    def validated(self, serializer_class: type, request: Request) -> dict[str, Any]:
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class RegisterView(PublicView):
    """POST /auth/register: a new account, signed in at once; throttled per address."""

    @extend_schema(**schema.REGISTER)
    def post(self, request: Request) -> Response:
        data = self.validated(RegisterSerializer, request)
        # Each sign-up runs the hasher: counted per address like sign-ins, and kept.
        SignInThrottle(request, data["email"], scope="register").attempt()
        if Account.objects.with_email(data["email"]).exists():
            raise Conflict("A user with this email already exists")
        try:
            account = Account.objects.register(name=data["name"], email=data["email"], password=data["password"])
        except IntegrityError:  # the same address registered in parallel
            raise Conflict("A user with this email already exists") from None
        return Response(signed_in(account), status=status.HTTP_201_CREATED)


class LoginView(PublicView):
    """POST /auth/login: throttled per address and e-mail before the password is checked."""

    @extend_schema(**schema.LOGIN)
    def post(self, request: Request) -> Response:
        data = self.validated(LoginSerializer, request)
        throttle = SignInThrottle(request, data["email"])
        throttle.attempt()
        account = authenticate(data["email"], data["password"])
        throttle.succeeded()
        return Response(signed_in(account, data["remember_me"]))


class ForgotPasswordView(PublicView):
    """POST /auth/forgot-password: the same answer whether or not the address has an account."""

    @extend_schema(**schema.FORGOT)
    def post(self, request: Request) -> Response:
        data = self.validated(ForgotPasswordSerializer, request)
        SignInThrottle(request, data["email"], scope="reset").attempt()
        account = Account.objects.select_related("user").filter(email=data["email"], user__is_active=True).first()
        if account is not None:
            mail.send_reset_mail_soon(account)
        return Response({"message": FORGOT_MESSAGE})


class ResetPasswordView(PublicView):
    """POST /auth/reset-password: the mailed token works once, until it expires."""

    @extend_schema(**schema.RESET)
    def post(self, request: Request) -> Response:
        data = self.validated(ResetPasswordSerializer, request)
        account = account_for_reset_token(data["token"])
        if account is None:
            raise InvalidResetToken()
        check_password_rules(data["new_password"], account.email, account.name, field="new_password")
        with transaction.atomic():
            # Locked and checked again: two uses of one token in parallel reset once.
            user = User.objects.select_for_update().get(pk=account.user_id)
            if account_for_reset_token(data["token"]) is None:
                raise InvalidResetToken()
            user.password = hash_password(data["new_password"])
            user.save(update_fields=["password"])
        return Response({"message": RESET_MESSAGE})

"""manage.py verify_token: would this service accept that token, and if not, why?"""
from typing import Any

import orjson
from django.core.management.base import CommandError, CommandParser
from rest_framework.exceptions import AuthenticationFailed

from tasks.auth.authentication import BetterAuthJWTAuthentication
from tasks.management.base import TaskflowCommand
from tasks.auth.token_shape import readable_parts


def reasons(exc: BaseException) -> list[str]:
    # The API answers one fixed message; the causes it suppressed (`raise ... from None`
    # keeps them as __context__) say why: simplejwt's, then PyJWT's own words.
    chain, cause = [], exc.__context__
    while cause is not None:
        chain.append(f"{type(cause).__name__}: {cause}")
        cause = cause.__cause__ or cause.__context__
    return chain


class Command(TaskflowCommand):
    help = (
        "Say whether the running configuration (BETTER_AUTH_SECRET, issuer, audience, leeway) accepts TOKEN, "
        "with the verdict the API would give and why; prints the token's header and claims, unverified. "
        "Exits non-zero when the token is refused. Never prints a secret."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("token", help="The JWT (a leading 'Bearer ' is ignored).")

    def handle(self, *args: Any, token: str, **options: Any) -> None:
        token = token.strip().removeprefix("Bearer ").strip()
        # Each segment on its own: a damaged signature must not hide intact header and claims.
        header, claims = readable_parts(token)
        self.stdout.write("header: " + (orjson.dumps(header).decode() if header is not None else "(unreadable)"))
        self.stdout.write("claims: " + (orjson.dumps(claims).decode() if claims is not None else "(unreadable)"))
        try:
            # The API's own verification path, so the verdict cannot drift from it.
            BetterAuthJWTAuthentication().get_validated_token(token)
        except AuthenticationFailed as exc:
            why = "; ".join(reasons(exc))
            raise CommandError(f'Refused: the API answers 401 "{exc.detail}" ({why})') from None
        self.stdout.write(self.style.SUCCESS(f"Accepted: requests as user {claims['sub']!r} are authenticated."))

"""manage.py mint_token: an HS256 token for local use and tests."""
import time
from typing import Any

import jwt
from django.conf import settings
from django.core.management.base import CommandError, CommandParser

from tasks.management.base import TaskflowCommand
from tasks.models import MAX_SUBJECT_LENGTH
from tasks.auth.token_shape import usable_subject


class Command(TaskflowCommand):
    help = (
        "Print an HS256 token for SUB signed with BETTER_AUTH_SECRET, as the frontend would mint it. "
        "For local use and tests; refuses in production unless --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("sub", help="The user id (the token's subject).")
        parser.add_argument("--ttl", type=int, default=900, help="Lifetime in seconds (default 900, Better Auth's 15 min).")
        parser.add_argument("--email", help="An email claim.")
        parser.add_argument("--name", help="A name claim.")
        parser.add_argument("--force", action="store_true", help="Mint even with ENVIRONMENT=production.")

    def handle(self, *args: Any, sub: str, ttl: int, email: str | None, name: str | None, force: bool, **options: Any) -> None:
        if settings.IS_PRODUCTION and not force:
            raise CommandError("Refusing to mint a token in production (pass --force if you really mean it).")
        if not usable_subject(sub):
            raise CommandError(f"SUB must be 1 to {MAX_SUBJECT_LENGTH} characters, none of them control characters.")
        if ttl <= 0:
            raise CommandError("--ttl must be a positive number of seconds.")
        if not settings.BETTER_AUTH_SECRET:
            raise CommandError("BETTER_AUTH_SECRET is not set.")
        now = int(time.time())
        claims = {"sub": sub, "iat": now, "exp": now + ttl, "email": email, "name": name}
        payload = {key: value for key, value in claims.items() if value is not None}
        self.stdout.write(jwt.encode(payload, settings.BETTER_AUTH_SECRET, algorithm="HS256"))

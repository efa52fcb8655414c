"""System checks for operators: `manage.py check --deploy` tells of a JWKS that will not serve."""
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Warning, register

from .auth.authentication import JWKS_ALGORITHMS
from .auth.jwks import JWKSCache, JWKSUnavailable, key_matches_algorithm

# A deploy check (CI runs `check --deploy`): plain checks run before every management
# command (`mint_token`, `migrate`, `runserver`), which must never wait on the network.
# Even there a dead JWKS may delay the check this much, never more.
CHECK_TIMEOUT_SECONDS = 3.0


@register("taskflow", deploy=True)
def check_jwks(app_configs: list[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    """Warn when the configured JWKS does not answer or holds no key we can verify with."""
    url = settings.BETTER_AUTH_JWKS_URL
    if not url:
        return []  # HS256 only: nothing to reach
    # A cache of its own: the check must really ask, and must not leave state behind.
    cache = JWKSCache(url, timeout=min(settings.JWKS_TIMEOUT_SECONDS, CHECK_TIMEOUT_SECONDS))
    try:
        keys = cache.keys()
    except JWKSUnavailable:
        return [
            Warning(
                f"The JWKS at {url} does not answer with a usable key set.",
                hint="Check BETTER_AUTH_JWKS_URL / BETTER_AUTH_URL and that the frontend's "
                "Better Auth has the jwt() plugin. Until it answers, tokens signed by keys not yet known get 503.",
                id="taskflow.W001",
            )
        ]
    if not any(key_matches_algorithm(key, alg) for key in keys.values() for alg in JWKS_ALGORITHMS):
        return [
            Warning(
                f"The JWKS at {url} holds no key for {', '.join(sorted(JWKS_ALGORITHMS))}.",
                hint="Set the jwt() plugin's jwks.keyPairConfig to one of these algorithms.",
                id="taskflow.W002",
            )
        ]
    return []

"""The accounts' settings: production needs a real way to send reset mails, and every
knob is refused in one line when it does not parse."""
import subprocess
import sys

import pytest

from taskflow.settings import email_backend
from tasks.tests.conftest import ROOT, platform_env

SAFE = platform_env("postgres://postgres@127.0.0.1:5432/unused")


def start_django(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)


@pytest.mark.parametrize(("overrides", "reason"), [
    ({"EMAIL_URL": None}, "EMAIL_URL is required in production (password reset mails)"),
    ({"EMAIL_URL": "console:"}, "EMAIL_URL may not be console: in production (reset mails would go to the log)"),
    ({"EMAIL_URL": "mailgun://key@x"}, "EMAIL_URL must be smtp://, smtps:// or console:, not 'mailgun://key@x'"),
    ({"FRONTEND_URL": "app.example.com"}, "FRONTEND_URL must be an http(s) URL, not 'app.example.com'"),
    ({"LOGIN_ADDRESS_LIMIT": "0"}, "LOGIN_ADDRESS_LIMIT, LOGIN_ACCOUNT_LIMIT and LOGIN_WINDOW_SECONDS must be positive"),
    ({"NUM_PROXIES": "-1"}, "NUM_PROXIES may not be negative"),
])
def test_production_refuses_unusable_account_settings(overrides, reason):
    env = {k: v for k, v in {**SAFE, **overrides}.items() if v is not None}

    result = start_django(env)

    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [f"ImproperlyConfigured: {reason}"]


def test_development_prints_reset_mails_without_any_setting():
    env = {k: v for k, v in SAFE.items() if k not in {"ENVIRONMENT", "EMAIL_URL"}}
    result = subprocess.run([sys.executable, "manage.py", "shell", "-c",
                             "from django.conf import settings; print(settings.EMAIL_BACKEND)"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)

    assert result.stdout.strip().splitlines()[-1] == "django.core.mail.backends.console.EmailBackend", result.stderr


@pytest.mark.parametrize(("url", "expected"), [
    ("smtp://apikey:p%40ss@smtp.example.com", {"EMAIL_HOST": "smtp.example.com", "EMAIL_PORT": 587,
                                                "EMAIL_HOST_USER": "apikey", "EMAIL_HOST_PASSWORD": "p@ss",
                                                "EMAIL_USE_TLS": True}),
    ("smtps://u:p@smtp.example.com", {"EMAIL_PORT": 465, "EMAIL_USE_SSL": True}),
    ("smtp://127.0.0.1:1025", {"EMAIL_PORT": 1025, "EMAIL_USE_TLS": False, "EMAIL_HOST_USER": ""}),
])
def test_email_url_becomes_django_smtp_settings(url, expected):
    backend, options = email_backend(url)

    assert backend == "django.core.mail.backends.smtp.EmailBackend"
    assert expected.items() <= options.items()

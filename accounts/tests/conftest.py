"""Fixtures of the accounts tests, on tasks' test helpers. The Procfile servers get a
database of their own: importing tasks' session fixtures here would make a second
instance of them, whose database has the same name as the first's (and drops it)."""
import asyncio
import os
import re
import subprocess
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings as django_settings
from rest_framework.test import APIClient

from accounts.models import Account
from tasks.tests.conftest import ROOT, WebServer, admin_sql, database_url, free_port, platform_env, procfile_command, start_web

from .provider import Provider, provider_settings, start_provider

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="session")
def start_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., WebServer]]:
    """Start the Procfile's web: line in production mode on this session's accounts
    database (migrated by the release: line); every server stopped at the end."""
    name = f"{django_settings.DATABASES['default']['NAME']}_accounts_http_{os.getpid()}"
    admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin_sql(f'CREATE DATABASE "{name}"')
    url = database_url(name)
    for command in [procfile_command("release"), "python manage.py collectstatic --noinput"]:
        done = subprocess.run(["bash", "-c", command], cwd=ROOT, env=platform_env(url), capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    tmp_dir, started = tmp_path_factory.mktemp("accounts-servers"), []

    def start(**overrides: str) -> WebServer:
        started.append(start_web(platform_env(url, **overrides), tmp_dir))
        return started[-1]

    yield start
    for server in started:
        server.stop()
    admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def client() -> APIClient:
    return APIClient()


@pytest.fixture
def make_account(db: None) -> Callable[..., Account]:
    def make(email: str = "ada@example.com", password: str | None = PASSWORD, name: str = "Ada", **fields: Any) -> Account:
        return Account.objects.register(name=name, email=email, password=password, **fields)

    return make


class Inbox(list):
    """Messages a real SMTP server (aiosmtpd) accepted, as email.message objects; `delay`
    makes it a slow one."""

    delay = 0.0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(self.delay)
        self.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def link(self) -> str:
        """The reset link of the last message."""
        body = self[-1].get_body(("plain",)).get_content()
        return re.search(r"https?://\S+", body).group(0)


@pytest.fixture
def smtp_server() -> Iterator[tuple[str, int, Inbox]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield "127.0.0.1", port, inbox
    controller.stop()


@pytest.fixture
def inbox(smtp_server: tuple[str, int, Inbox], settings: Any) -> Inbox:
    """Mail of this process goes to the SMTP server (pytest-django would catch it in memory)."""
    host, port, messages = smtp_server
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = host, port, False
    return messages


@pytest.fixture
def provider(settings: Any) -> Iterator[Provider]:
    """A running test OAuth provider that this process's settings point at."""
    running, server = start_provider()
    for name, value in provider_settings(running).items():
        setattr(settings, name, value)
    yield running
    server.shutdown()
    server.server_close()

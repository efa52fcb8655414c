"""Fixtures of the accounts tests; the service fixtures are tasks' own (one Procfile
server per session, shared with tasks' tests when both run)."""
import asyncio
import re
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from rest_framework.test import APIClient

from accounts.models import Account
from tasks.tests.conftest import free_port
from tasks.tests.conftest import (  # noqa: F401  # fixtures, used by name
    make_token,
    service,
    service_database_url,
    start_service,
)

from .provider import Provider, provider_settings, start_provider

PASSWORD = "correct horse battery staple"


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

"""Fixtures of the accounts tests; the service fixtures are tasks' own (one Procfile
server per session, shared with tasks' tests when both run)."""
from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import Account
from tasks.tests.conftest import (  # noqa: F401  # fixtures, used by name
    make_token,
    service,
    service_database_url,
    start_service,
)

PASSWORD = "correct horse battery staple"


@pytest.fixture
def client() -> APIClient:
    return APIClient()


@pytest.fixture
def make_account(db: None) -> Callable[..., Account]:
    def make(email: str = "ada@example.com", password: str | None = PASSWORD, name: str = "Ada", **fields: Any) -> Account:
        return Account.objects.register(name=name, email=email, password=password, **fields)

    return make

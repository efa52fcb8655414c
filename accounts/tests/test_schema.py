"""/openapi.json documents every /auth/ route with the answers it gives."""
import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_openapi_documents_every_auth_route():
    schema = APIClient().get("/openapi.json").json()
    paths = {path: set(ops) - {"parameters"} for path, ops in schema["paths"].items() if path.startswith("/auth/")}

    assert paths == {
        "/auth/register": {"post"}, "/auth/login": {"post"}, "/auth/forgot-password": {"post"},
        "/auth/reset-password": {"post"}, "/auth/google": {"get"}, "/auth/google/callback": {"post"},
        "/auth/github": {"get"}, "/auth/callback/github": {"get"},
    }
    responses = {(path, method): set(operation["responses"]) for path, ops in schema["paths"].items()
                 if path.startswith("/auth/") for method, operation in ops.items()}
    assert {"201", "409", "422"} <= responses[("/auth/register", "post")]
    assert {"200", "401", "422", "429"} <= responses[("/auth/login", "post")]
    assert {"200", "400", "422"} <= responses[("/auth/reset-password", "post")]
    assert {"302", "503"} <= responses[("/auth/google", "get")]
    assert {"200", "400", "503"} <= responses[("/auth/google/callback", "post")]
    assert {"302"} <= responses[("/auth/callback/github", "get")]
    for path in paths:
        for operation in schema["paths"][path].values():
            assert operation.get("security") in ([], [{}], None) and "BetterAuthBearer" not in str(operation.get("security"))

"""Health, docs, schema, CORS, admin and static files, through the real Procfile start."""
import re

import pytest

from .conftest import FRONTEND_ORIGIN, WebServer

pytestmark = pytest.mark.slow


def test_liveness_answers_without_authentication(service: WebServer) -> None:
    response = service.request("GET", "/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize("path", ["/health/ready", "/health/ready/", "/health/"])
def test_health_routes_answer_with_and_without_slash(service: WebServer, path: str) -> None:
    response = service.request("GET", path, allow_redirects=False)

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_docs_are_swagger_ui_served_without_any_cdn(service: WebServer) -> None:
    response = service.request("GET", "/docs")

    assert response.status_code == 200
    assert "swagger-ui" in response.text
    assert "cdn" not in response.text.lower() and "unpkg" not in response.text
    assets = re.findall(r'(?:src|href)="([^"]+)"', response.text)
    assert any("swagger-ui-bundle" in a for a in assets) and any("swagger-ui" in a and a.endswith(".css") for a in assets)
    for asset in assets:
        assert asset.startswith("/static/"), asset
        assert service.request("GET", asset).status_code == 200, asset


def test_admin_login_page_and_its_static_files_are_served_by_the_app(service: WebServer) -> None:
    page = service.request("GET", "/admin/login/")
    css = service.request("GET", "/static/admin/css/base.css")

    assert page.status_code == 200 and "Django administration" in page.text
    assert css.status_code == 200 and "text/css" in css.headers["Content-Type"]


def test_preflight_allows_the_frontend_origin_with_credentials(service: WebServer) -> None:
    response = service.request("OPTIONS", "/api/someone/tasks/1", headers={
        "Origin": FRONTEND_ORIGIN,
        "Access-Control-Request-Method": "PATCH",
        "Access-Control-Request-Headers": "authorization, content-type",
    })

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == FRONTEND_ORIGIN
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    methods = {m.strip() for m in response.headers["Access-Control-Allow-Methods"].split(",")}
    assert methods == {"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
    allowed = {h.strip().lower() for h in response.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type"} <= allowed


def test_preflight_from_an_unknown_origin_gets_no_cors_grant(service: WebServer) -> None:
    response = service.request("OPTIONS", "/api/someone/tasks", headers={
        "Origin": "https://evil.example.net", "Access-Control-Request-Method": "GET"})

    assert "Access-Control-Allow-Origin" not in response.headers


def test_error_responses_carry_cors_headers_and_expose_location(service: WebServer) -> None:
    response = service.request("GET", "/api/someone/tasks", headers={"Origin": FRONTEND_ORIGIN})

    assert response.status_code == 401
    assert response.headers["Access-Control-Allow-Origin"] == FRONTEND_ORIGIN
    exposed = {h.strip().lower() for h in response.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"location", "retry-after", "www-authenticate"} <= exposed


def test_openapi_schema_documents_every_contract_route(service: WebServer) -> None:
    response = service.request("GET", "/openapi.json")
    schema = response.json()
    paths = schema["paths"]

    assert response.status_code == 200 and schema["openapi"].startswith("3.")
    assert {path: set(ops) - {"parameters"} for path, ops in paths.items() if path.startswith("/api/")} == {
        "/api/{user_id}/tasks": {"get", "post"},
        "/api/{user_id}/tasks/{task_id}": {"get", "put", "patch", "delete"},
        "/api/{user_id}/tasks/{task_id}/complete": {"patch"},
        "/api/{user_id}/tasks/{task_id}/tags": {"post"},
        "/api/{user_id}/tasks/{task_id}/tags/{tag_id}": {"delete"},
        "/api/{user_id}/tags": {"get", "post"},
        "/api/{user_id}/tags/{tag_id}": {"delete"},
        "/api/{user_id}/changes": {"get"},
    }
    assert {"/health", "/health/ready"} <= set(paths)
    assert schema["components"]["securitySchemes"]["BetterAuthBearer"] == {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": schema["components"]["securitySchemes"]["BetterAuthBearer"]["description"]}
    create = paths["/api/{user_id}/tasks"]["post"]
    assert {"201", "400", "401", "403", "413", "415", "422", "429", "500", "503"} <= set(create["responses"])
    assert "Location" in create["responses"]["201"]["headers"]
    assert "WWW-Authenticate" in create["responses"]["401"]["headers"]
    assert "Retry-After" in create["responses"]["503"]["headers"]
    detail = paths["/api/{user_id}/tasks/{task_id}"]["get"]
    assert {"200", "404", "422"} <= set(detail["responses"])
    task_id = next(p for p in detail["parameters"] if p["name"] == "task_id")
    assert task_id["schema"]["type"] == "integer"
    item = schema["components"]["schemas"]["ValidationErrorItem"]["properties"]
    assert set(item) == {"loc", "msg", "type"}
    task = schema["components"]["schemas"]["Task"]
    assert set(task["properties"]) == {"id", "user_id", "title", "description", "is_completed", "created_at",
                                       "updated_at", "priority", "due_date", "recurrence_pattern",
                                       "recurrence_end_date", "tags"}
    assert task["properties"]["description"].get("nullable") is True
    assert task["properties"]["created_at"]["format"] == "date-time"
    request = schema["components"]["schemas"]["TaskRequest"]["properties"]
    assert request["description"]["maxLength"] == 10_000 and request["description"]["nullable"] is True
    assert "oneOf" not in request["description"]  # "" is one valid description, not two


def test_openapi_documents_the_sync_headers_and_statuses(service: WebServer) -> None:
    paths = service.request("GET", "/openapi.json").json()["paths"]

    patch = paths["/api/{user_id}/tasks/{task_id}"]["patch"]
    listing = paths["/api/{user_id}/tasks"]["get"]
    assert "If-Match" in {p["name"] for p in patch["parameters"]} and "412" in patch["responses"]
    assert "ETag" in patch["responses"]["200"]["headers"]
    assert "If-None-Match" in {p["name"] for p in listing["parameters"]} and "304" in listing["responses"]
    assert {"200", "410", "422"} <= set(paths["/api/{user_id}/changes"]["get"]["responses"])


@pytest.mark.parametrize(
    "field, value, valid",
    [
        ("title", "x" * 200, True),
        ("title", "  " + "x" * 199 + "  ", True),  # 203 sent, 199 after trimming: the API accepts it
        ("title", "x" * 201, False),
        ("title", "   ", False),
        ("title", "a\x00b", False),
        ("title", "\u00a0ok\u2003", True),  # Unicode whitespace is trimmed as str.strip() does
        ("description", "", True),
        ("description", "x\x00", False),
        ("description", " kept as sent ", True),
    ],
)
def test_openapi_string_rules_say_exactly_what_the_api_accepts(service: WebServer, field: str, value: str,
                                                               valid: bool) -> None:
    """A schema-driven client (or fuzzer) must not read a 201 or a 422 of ours as a bug."""
    rule = service.request("GET", "/openapi.json").json()["components"]["schemas"]["TaskRequest"]["properties"][field]

    matches = re.search(rule["pattern"], value) is not None and len(value) <= rule.get("maxLength", len(value))

    assert matches is valid

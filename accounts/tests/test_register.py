"""POST /auth/register: the original's RegisterDTO and AuthResponseDTO."""
import jwt
import pytest
from django.conf import settings
from django.contrib.auth.models import User

from accounts.models import Account
from tasks.models import Owner

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_register_creates_the_account_and_signs_in(client):
    response = client.post("/auth/register", {"name": " Ada ", "email": " Ada@Example.COM ", "password": PASSWORD,
                                              "terms_accepted": True}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    account = Account.objects.get()
    assert body["user"] == {"id": account.id, "email": "ada@example.com", "name": "Ada"}
    claims = jwt.decode(body["token"], settings.BETTER_AUTH_SECRET, algorithms=["HS256"])
    assert (claims["sub"], claims["email"], claims["exp"] - claims["iat"]) == (account.id, "ada@example.com", 86400)
    assert account.user.check_password(PASSWORD) and account.user.password.startswith("pbkdf2_sha256$")
    assert Owner.objects.get(sub=account.id).email == "ada@example.com"
    # The new token is one the API takes.
    tasks = client.get(f"/api/{account.id}/tasks", HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    assert tasks.status_code == 200


@pytest.mark.parametrize("email", ["ada@example.com", "ADA@example.com", "  ada@EXAMPLE.com"])
def test_an_address_registers_once_whatever_its_case(client, make_account, email):
    make_account(email="ada@example.com")

    response = client.post("/auth/register", {"name": "Eve", "email": email, "password": PASSWORD}, format="json")

    assert response.status_code == 409
    assert response.json() == {"detail": "A user with this email already exists"}
    assert Account.objects.count() == 1 and User.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "loc", "type_"),
    [
        pytest.param({"email": "a@example.com", "password": PASSWORD}, ["body", "name"], "missing", id="no-name"),
        pytest.param({"name": "  ", "email": "a@example.com", "password": PASSWORD}, ["body", "name"],
                     "string_too_short", id="blank-name"),
        pytest.param({"name": "A", "email": "not-an-address", "password": PASSWORD}, ["body", "email"], "value_error",
                     id="bad-email"),
        pytest.param({"name": "A", "email": 12345, "password": PASSWORD}, ["body", "email"], "string_type",
                     id="number-email"),
        pytest.param({"name": "A", "email": "a@example.com", "password": "short"}, ["body", "password"],
                     "string_too_short", id="short-password"),
        pytest.param({"name": "A", "email": "a@example.com", "password": "x" * 129}, ["body", "password"],
                     "string_too_long", id="long-password"),
        pytest.param({"name": "A", "email": "a@example.com", "password": "password123"}, ["body", "password"],
                     "password_too_common", id="common-password"),
        pytest.param({"name": "A", "email": "a@example.com", "password": "8675309123"}, ["body", "password"],
                     "password_entirely_numeric", id="numeric-password"),
        pytest.param({"name": "A", "email": "a@example.com", "password": PASSWORD, "terms_accepted": "yes"},
                     ["body", "terms_accepted"], "bool_type", id="string-as-bool"),
    ],
)
def test_bad_fields_are_a_422_and_create_nothing(client, body, loc, type_):
    response = client.post("/auth/register", body, format="json")

    assert response.status_code == 422, response.content
    assert [(item["loc"], item["type"]) for item in response.json()["detail"]] == [(loc, type_)]
    assert not Account.objects.exists() and not User.objects.exists()


@pytest.mark.parametrize("body", ["[]", '"x"', "null", "7"])
def test_a_body_that_is_not_an_object_is_a_422(client, body):
    response = client.post("/auth/register", body, content_type="application/json")

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body"]


def test_register_works_without_the_trailing_slash_and_with_it(client):
    first = client.post("/auth/register/", {"name": "A", "email": "a@example.com", "password": PASSWORD}, format="json")
    assert first.status_code == 201
    assert client.get("/auth/register").status_code == 405


def test_auth_routes_answer_cors_as_the_api_does(client):
    preflight = client.options("/auth/register", HTTP_ORIGIN="http://localhost:3000",
                               HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
                               HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type")
    refused = client.post("/auth/register", {}, format="json", HTTP_ORIGIN="http://localhost:3000")

    assert preflight.status_code == 200
    assert preflight["Access-Control-Allow-Origin"] == "http://localhost:3000"
    assert "POST" in preflight["Access-Control-Allow-Methods"]
    assert refused.status_code == 422 and refused["Access-Control-Allow-Origin"] == "http://localhost:3000"


def test_sign_ups_are_throttled_per_address(client, settings):
    settings.LOGIN_ADDRESS_LIMIT = 2

    responses = [client.post("/auth/register", {"name": "A", "email": f"a{n}@example.com", "password": PASSWORD},
                             format="json", REMOTE_ADDR="10.9.9.9") for n in range(3)]
    other = client.post("/auth/register", {"name": "B", "email": "b@example.com", "password": PASSWORD},
                        format="json", REMOTE_ADDR="10.9.9.10")

    assert [response.status_code for response in responses] == [201, 201, 429] and other.status_code == 201
    assert responses[-1].json()["detail"].startswith("Too many sign-ups from this address.")
    assert Account.objects.count() == 3

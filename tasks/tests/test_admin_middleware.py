"""The admin keeps sessions, CSRF, login and messages; the API runs none of them."""
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff() -> User:
    return User.objects.create_superuser("root", "root@example.com", "a-long-password-1")


def test_admin_post_without_a_csrf_token_is_refused(staff: User) -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post("/admin/login/", {"username": "root", "password": "a-long-password-1"})

    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_admin_login_with_the_csrf_token_signs_in_and_sets_its_cookies(staff: User) -> None:
    client = Client(enforce_csrf_checks=True)
    page = client.get("/admin/login/")
    token = page.cookies["csrftoken"].value

    response = client.post("/admin/login/?next=/admin/",
                           {"username": "root", "password": "a-long-password-1", "csrfmiddlewaretoken": token})

    assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert "sessionid" in response.cookies
    assert client.session["_auth_user_id"] == str(staff.pk)
    assert client.get("/admin/").status_code == 200
    assert page["X-Frame-Options"] == "DENY"


def test_admin_messages_still_reach_the_next_page(staff: User, make_task: Callable) -> None:
    client = Client()
    client.force_login(staff)
    task = make_task(title="old")

    response = client.post(f"/admin/tasks/task/{task.pk}/change/",
                           {"title": "new", "description": "", "is_completed": "", "priority": "medium",
                            "due_date_0": "", "due_date_1": "", "due_date_kind": "", "tag_names": ""}, follow=True)

    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]][0].startswith("The task")


@pytest.mark.parametrize("path", ["/api/user_a/tasks", "/api/no/such", "/health", "/openapi.json"])
def test_api_responses_carry_no_cookie_and_no_vary_cookie(api: APIClient, path: str) -> None:
    response = api.get(path, HTTP_COOKIE="sessionid=abc; csrftoken=def")

    assert response.status_code in (200, 404)
    assert not response.cookies
    assert "Cookie" not in response.get("Vary", "")
    assert response["X-Frame-Options"] == "DENY"  # kept on purpose: /docs may not be framed


def test_api_writes_need_no_csrf_token_and_set_no_session(api: APIClient) -> None:
    api.handler.enforce_csrf_checks = True

    response = api.post("/api/user_a/tasks", {"title": "t"}, format="json", HTTP_COOKIE="sessionid=abc")

    assert response.status_code == 201
    assert not response.cookies
    assert not hasattr(response.wsgi_request, "session")

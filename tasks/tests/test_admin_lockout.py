"""Admin login throttling (django-axes) over real HTTP: failures lock the account and the
address for the cool-off, in PostgreSQL (every worker agrees); support staff unlock with
axes' commands; the API never notices."""
import re
import subprocess
import uuid
from collections.abc import Callable, Iterator

import pytest
import requests

from .conftest import ROOT, WebServer, platform_env, sub_of

pytestmark = pytest.mark.slow

PASSWORD = "a-long-support-password-42"
LIMIT = 3


def manage(database_url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(["python", "manage.py", *args], cwd=ROOT, env=platform_env(database_url), input=stdin,
                          capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def admin_server(start_service: Callable[..., WebServer]) -> WebServer:
    return start_service(ADMIN_LOGIN_FAILURE_LIMIT=str(LIMIT), ADMIN_LOGIN_COOLOFF_MINUTES="30")


@pytest.fixture
def agent(service_database_url: str) -> Iterator[str]:
    email = f"agent-{uuid.uuid4().hex[:8]}@example.com"
    made = manage(service_database_url, "createsupportuser", email, "--password-stdin", stdin=PASSWORD + "\n")
    assert made.returncode == 0, made.stderr
    yield email
    manage(service_database_url, "axes_reset")  # leave no lock behind for other tests


def log_in(server: WebServer, username: str, password: str) -> requests.Response:
    """The admin login form as a browser sends it (CSRF cookie and token, same-origin Referer)."""
    with requests.Session() as browser:
        page = browser.get(server.url + "/admin/login/", headers={"X-Forwarded-Proto": "https"}, timeout=30)
        # The cookie is Secure (production): requests would not send it over http, so by hand.
        csrf = page.cookies["csrftoken"]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        return browser.post(
            server.url + "/admin/login/?next=/admin/",
            data={"username": username, "password": password, "csrfmiddlewaretoken": token},
            headers={"X-Forwarded-Proto": "https", "Referer": f"https://{server.url.removeprefix('http://')}/admin/login/",
                     "Cookie": f"csrftoken={csrf}"},
            allow_redirects=False, timeout=30,
        )


def test_failed_logins_lock_the_account_until_support_resets_it(admin_server: WebServer, agent: str,
                                                               service_database_url: str) -> None:
    failures = [log_in(admin_server, agent, "wrong-password").status_code for _ in range(LIMIT)]
    locked = log_in(admin_server, agent, PASSWORD)  # the right password, too late

    reset = manage(service_database_url, "axes_reset_username", agent)
    manage(service_database_url, "axes_reset_ip", "127.0.0.1")
    after_reset = log_in(admin_server, agent, PASSWORD)

    assert failures[:-1] == [200] * (LIMIT - 1)  # the form again, "please enter a correct..."
    assert failures[-1] == 429 and locked.status_code == 429
    assert "sessionid" not in locked.cookies
    assert reset.returncode == 0, reset.stderr
    assert after_reset.status_code == 302 and after_reset.headers["Location"] == "/admin/"
    assert '"axes' in admin_server.log_text() and "Locking out" in admin_server.log_text()


def test_failed_logins_for_many_accounts_lock_the_address(admin_server: WebServer, agent: str,
                                                         service_database_url: str) -> None:
    for _ in range(LIMIT):
        log_in(admin_server, f"nobody-{uuid.uuid4().hex[:6]}@example.com", "guess")

    locked = log_in(admin_server, agent, PASSWORD)
    manage(service_database_url, "axes_reset_ip", "127.0.0.1")
    after_reset = log_in(admin_server, agent, PASSWORD)

    assert locked.status_code == 429
    assert after_reset.status_code == 302


def test_the_api_is_not_affected_by_an_admin_lockout(admin_server: WebServer, agent: str,
                                                     production_token: Callable[..., str]) -> None:
    for _ in range(LIMIT + 1):
        log_in(admin_server, agent, "wrong-password")
    token = production_token()

    created = admin_server.request("POST", f"/api/{sub_of(token)}/tasks", token, json={"title": "still fine"})
    listed = admin_server.request("GET", f"/api/{sub_of(token)}/tasks", token)

    assert log_in(admin_server, agent, PASSWORD).status_code == 429
    assert created.status_code == 201 and [t["title"] for t in listed.json()] == ["still fine"]

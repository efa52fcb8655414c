"""Keyset pages of GET /tasks: limit + cursor, Link rel="next", stable under writes."""
import datetime
import random
import re
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.db import connection
from rest_framework.test import APIClient

from tasks.models import Task

from .conftest import WebServer, sub_of

URL = "/api/user_a/tasks"
SORTS = ["created_at", "updated_at", "priority", "due_date", "title"]
COMBINATIONS = [(sort, order) for sort in SORTS for order in ("asc", "desc")]
RANK = {"low": 0, "medium": 1, "high": 2}
LINK = re.compile(r'<([^>]+)>; rel="next"')


def next_url(response: Any) -> str | None:
    header = response.headers.get("Link")
    match = LINK.fullmatch(header) if header else None
    assert header is None or match, header
    return match.group(1) if match else None


def moment(value: str | None) -> datetime.datetime | None:
    if value is None:
        return None
    return datetime.datetime.fromisoformat(value.removesuffix("Z")).replace(tzinfo=datetime.timezone.utc)


def sort_key(task: dict[str, Any], sort_by: str) -> Any:
    """The list's order in Python (ASCII titles only: lower() is PostgreSQL's)."""
    if sort_by == "priority":
        return RANK[task["priority"]]
    if sort_by == "title":
        return task["title"].lower()
    if sort_by == "due_date":
        return moment(task["due_date"])
    return datetime.datetime.fromisoformat(task[sort_by])


def assert_in_order(tasks: list[dict[str, Any]], sort_by: str, order: str) -> None:
    """Sorted by the sort value, ties by id in the same direction; no due date last."""
    desc = order == "desc"
    dated = [t for t in tasks if sort_key(t, sort_by) is not None]
    undated = [t for t in tasks if sort_key(t, sort_by) is None]
    expected = (sorted(dated, key=lambda t: (sort_key(t, sort_by), t["id"]), reverse=desc)
                + sorted(undated, key=lambda t: t["id"], reverse=desc))
    assert [t["id"] for t in tasks] == [t["id"] for t in expected]


def body_tasks(body: Any) -> list[dict[str, Any]]:
    return body["tasks"] if isinstance(body, dict) else body


DUE_DATES = [None, "2026-03-01", "2026-03-01T09:30:00", "2026-03-01T09:30:00.250000Z", "2026-02-28T23:59:59Z",
             None, "2026-03-01T09:30:00Z"]
TITLES = ["apple", "Banana", "cherry", "apple", "Date", "banana", "Eggplant"]


def seed(make: Callable[[dict[str, Any]], dict[str, Any]], count: int) -> list[dict[str, Any]]:
    return [make({"title": f"{TITLES[i % len(TITLES)]} {i // len(TITLES)}" if i % 3 else TITLES[i % len(TITLES)],
                  "priority": ["low", "medium", "high"][i % 3], "due_date": DUE_DATES[i % len(DUE_DATES)]})
            for i in range(count)]


# --- In process ----------------------------------------------------------------------------------
@pytest.fixture
def tasks_a(api: APIClient) -> list[dict[str, Any]]:
    made = seed(lambda body: api.post(URL, body, format="json").json(), 23)
    # Ties on every sort column, so the id tie-break is what orders them.
    Task.objects.filter(id__in=[t["id"] for t in made[:6]]).update(created_at=Task.objects.get(id=made[0]["id"]).created_at)
    return made


def walk(api: APIClient, path: str) -> tuple[list[dict[str, Any]], int]:
    seen, pages, url = [], 0, path
    while url:
        response = api.get(url)
        assert response.status_code == 200, response.content
        seen += body_tasks(response.json())
        pages += 1
        url = next_url(response)
    return seen, pages


@pytest.mark.django_db
@pytest.mark.parametrize(("sort_by", "order"), COMBINATIONS)
def test_walking_every_page_gives_the_whole_list_once_in_order(api, tasks_a, sort_by, order):
    whole = api.get(f"{URL}?sort_by={sort_by}&order={order}").json()
    seen, pages = walk(api, f"{URL}?sort_by={sort_by}&order={order}&limit=5")

    assert [t["id"] for t in seen] == [t["id"] for t in body_tasks(whole)]
    assert pages == 5  # 23 tasks: 5 + 5 + 5 + 5 + 3
    assert_in_order(seen, sort_by, order)


@pytest.mark.django_db
def test_a_page_has_limit_tasks_and_an_absolute_https_next_link(api, tasks_a):
    # Behind the platform's router: https (X-Forwarded-Proto), default port.
    first = api.get(f"{URL}?limit=5&sort_by=title", HTTP_X_FORWARDED_PROTO="https", SERVER_PORT="443")
    link = urlsplit(next_url(first))

    assert len(body_tasks(first.json())) == 5
    assert (link.scheme, link.netloc, link.path) == ("https", "testserver", URL)
    assert parse_qs(link.query)["limit"] == ["5"] and parse_qs(link.query)["sort_by"] == ["title"]
    assert len(parse_qs(link.query)["cursor"][0]) > 10


@pytest.mark.django_db
def test_the_last_page_has_no_link(api, tasks_a):
    assert next_url(api.get(f"{URL}?limit=23")) is None
    low = api.get(f"{URL}?limit=20&priority=low")  # 8 low tasks of 23
    assert len(body_tasks(low.json())) == 8 and next_url(low) is None


@pytest.mark.django_db
def test_without_limit_the_whole_list_and_no_link(api, tasks_a):
    response = api.get(URL)
    assert len(body_tasks(response.json())) == 23 and "Link" not in response.headers


@pytest.mark.django_db
@pytest.mark.parametrize(("raw", "type_"), [
    ("0", "greater_than_equal"), ("201", "less_than_equal"), ("abc", "int_parsing"), ("1.5", "int_parsing"),
    ("", "int_parsing"), ("--5", "int_parsing"), ("\uff15", "int_parsing"), ("9" * 5000, "less_than_equal"),
    # One grammar with /changes (tasks.params): ASCII digits only, no sign, no space.
    ("-3", "int_parsing"), ("-" + "9" * 30, "int_parsing"), ("%2B5", "int_parsing"), ("%205", "int_parsing"),
])
def test_a_bad_limit_is_422_at_query_limit(api, raw, type_):
    response = api.get(f"{URL}?limit={raw}")
    assert response.status_code == 422
    assert [(e["loc"], e["type"]) for e in response.json()["detail"]] == [(["query", "limit"], type_)]


@pytest.mark.django_db
@pytest.mark.parametrize("change", [
    pytest.param(lambda url: url + "x", id="tampered"),
    pytest.param(lambda url: re.sub(r"cursor=[^&]+", "cursor=garbage", url), id="garbage"),
    pytest.param(lambda url: url.replace("sort_by=title", "sort_by=created_at"), id="other-sort"),
    pytest.param(lambda url: url.replace("order=asc", "order=desc"), id="other-order"),
    pytest.param(lambda url: url + "&priority=high", id="other-filter"),
    pytest.param(lambda url: url.replace("/user_a/", "/user_b/"), id="other-user"),
])
def test_a_bad_or_foreign_cursor_is_422_at_query_cursor(client_for, tasks_a, change):
    api = client_for("user_a")
    url = next_url(api.get(f"{URL}?sort_by=title&order=asc&limit=3"))
    changed = change(url)
    owner = "user_b" if "/user_b/" in changed else "user_a"

    response = client_for(owner).get(changed)

    assert response.status_code == 422, response.content
    assert [e["loc"] for e in response.json()["detail"]] == [["query", "cursor"]]


@pytest.mark.django_db
def test_in_object_shape_count_is_the_whole_filtered_list(api, tasks_a, settings):
    settings.TASK_LIST_FORMAT = "object"
    page = api.get(f"{URL}?priority=high&limit=2").json()
    assert page["count"] == 7 and len(page["tasks"]) == 2


@pytest.mark.django_db
@pytest.mark.parametrize(("sort_by", "order", "value"), [
    ("created_at", "desc", datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)),
    ("created_at", "asc", datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)),
    ("due_date", "asc", datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)),
])
def test_a_page_is_read_off_the_lists_index_without_a_sort(api, tasks_a, sort_by, order, value):
    from tasks.listing import ListQuery, after_condition, list_sql

    query = ListQuery(sort_by=sort_by, order=order)
    sql, params = list_sql("user_a", query, extra=after_condition(query, (value, 1)), limit=51)
    with connection.cursor() as cursor:
        # Whether the index *can* give the page in order, whatever a 23-row table's statistics
        # make the planner prefer: every alternative to an ordered index scan made dear.
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = [row[0] for row in cursor.fetchall()]
    # The tasks are read by an index scan in the page's order (the tags' aggregate is joined
    # to them), and nothing sorts the tasks. (PostgreSQL 18, the embedded server, orders each
    # task's tags inside their aggregate with an Incremental Sort on l./g. columns: not a
    # sort of the page.)
    tasks_scan = next(line for line in plan if " on tasks t" in line)
    task_sorts = [line for line in plan if "Sort Key:" in line and re.search(r"\bt\.", line)]
    assert "Index Scan" in tasks_scan and not task_sorts, "\n".join(plan)


# --- Over HTTP, with a writer inserting and deleting during the walk -----------------------------------
@pytest.mark.slow
def test_pages_are_stable_under_concurrent_inserts_and_deletes(service: WebServer,
                                                               production_token: Callable[..., str]):
    token = production_token()
    sub = sub_of(token)
    path = f"/api/{sub}/tasks"
    initial = seed(lambda body: service.request("POST", path, token, json=body).json(), 40)
    doomed = {t["id"] for t in random.Random(7).sample(initial, 10)}  # the writer deletes these meanwhile
    stop = threading.Event()

    def writer() -> None:
        rng, created, victims = random.Random(11), [], sorted(doomed)
        with requests.Session() as session:
            while not stop.is_set():
                if victims and rng.random() < 0.3:
                    task_id = victims.pop()
                elif created and rng.random() < 0.4:
                    task_id = created.pop(rng.randrange(len(created)))
                else:
                    body = seed(lambda b: b, rng.randrange(1, 8))[-1] | {"title": rng.choice(TITLES)}
                    created.append(session.post(service.url + path, json=body, timeout=30, headers={
                        "Authorization": f"Bearer {token}"}).json()["id"])
                    continue
                session.delete(f"{service.url}{path}/{task_id}", timeout=30, headers={"Authorization": f"Bearer {token}"})

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        for sort_by, order in COMBINATIONS:
            seen, url = [], f"{path}?sort_by={sort_by}&order={order}&limit=4"
            while url:
                link = urlsplit(url)
                response = service.request("GET", f"{link.path}?{link.query}", token)
                assert response.status_code == 200, response.text
                seen += body_tasks(response.json())
                url = next_url(response)
                assert url is None or url.startswith(f"https://{urlsplit(service.url).netloc}{path}?")
            ids = [t["id"] for t in seen]
            assert len(ids) == len(set(ids)), f"{sort_by} {order}: a task twice"
            assert {t["id"] for t in initial} - doomed <= set(ids), f"{sort_by} {order}: a task missed"
            assert_in_order(seen, sort_by, order)
    finally:
        stop.set()
        thread.join()


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["cursor=", "cursor=garbage", "limit=0", "limit=1&cursor=x"])
def test_a_bad_page_is_422_even_when_if_none_match_would_match(api, tasks_a, query):
    """An invalid query names no list that could be unchanged: the 422 comes before a 304."""
    response = api.get(f"{URL}?{query}", HTTP_IF_NONE_MATCH="*")

    assert response.status_code == 422, response.content
    assert {e["loc"][1] for e in response.json()["detail"]} <= {"cursor", "limit"}


@pytest.mark.django_db
def test_openapi_documents_limit_cursor_and_link():
    operation = APIClient().get("/openapi.json").json()["paths"]["/api/{user_id}/tasks"]["get"]

    query = {p["name"]: p for p in operation["parameters"] if p["in"] == "query"}
    assert query["limit"]["schema"]["type"] == "integer" and query["cursor"]["schema"]["type"] == "string"
    assert "Link" in operation["responses"]["200"]["headers"]

"""List queries: search, priority, tags (all of them), is_completed, sort_by and order,
strictly validated at ["query", name]."""
import datetime

import pytest

from tasks.models import Task

pytestmark = pytest.mark.django_db
T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


@pytest.fixture
def planned(api) -> dict[str, int]:
    """Five tasks of user_a (and one of user_b that no query may show)."""
    specs = [
        ("Buy milk", "from the 100% organic shop", "low", "2026-03-01", ["home", "money"], False),
        ("bread_buy", None, "high", "2026-02-01T08:00:00Z", ["home"], True),
        ("Call Ann", "about the milk", "medium", None, [], False),
        ("Zebra", "x", "high", "2026-02-15T10:00", ["money"], False),
        ("apple", "y", "medium", None, ["home", "money", "work"], True),
    ]
    ids = {}
    for title, description, priority, due, tags, done in specs:
        body = {"title": title, "description": description, "priority": priority, "due_date": due, "tags": tags,
                "is_completed": done}
        ids[title] = api.post("/api/user_a/tasks", body, format="json").json()["id"]
    Task.objects.create(user_id="user_b", title="Buy milk", priority="low")
    return ids


def titles(api, query: str) -> list[str]:
    response = api.get(f"/api/user_a/tasks?{query}")
    assert response.status_code == 200, response.json()
    return [task["title"] for task in response.json()]


@pytest.mark.parametrize("query, expected", [
    ("", ["apple", "Zebra", "Call Ann", "bread_buy", "Buy milk"]),
    ("search=MILK", ["Call Ann", "Buy milk"]),
    ("search=100%25", ["Buy milk"]),
    ("search=d_b", ["bread_buy"]),
    ("search=%25", ["Buy milk"]),
    ("search=_", ["bread_buy"]),
    ("search=", ["apple", "Zebra", "Call Ann", "bread_buy", "Buy milk"]),
    ("priority=high", ["Zebra", "bread_buy"]),
    ("tags=home", ["apple", "bread_buy", "Buy milk"]),
    ("tags=home&tags=money", ["apple", "Buy milk"]),
    ("tags=home&tags=money&tags=home", ["apple", "Buy milk"]),
    ("tags=home&tags=nope", []),
    ("tags=%20work%20", ["apple"]),
    ("is_completed=true", ["apple", "bread_buy"]),
    ("is_completed=false&priority=high", ["Zebra"]),
    ("sort_by=title&order=asc", ["apple", "bread_buy", "Buy milk", "Call Ann", "Zebra"]),
    ("sort_by=title", ["Zebra", "Call Ann", "Buy milk", "bread_buy", "apple"]),
    ("sort_by=priority", ["Zebra", "bread_buy", "apple", "Call Ann", "Buy milk"]),
    ("sort_by=priority&order=asc", ["Buy milk", "Call Ann", "apple", "bread_buy", "Zebra"]),
    ("sort_by=due_date&order=asc", ["bread_buy", "Zebra", "Buy milk", "Call Ann", "apple"]),
    ("sort_by=due_date&order=desc", ["Buy milk", "Zebra", "bread_buy", "apple", "Call Ann"]),
    ("sort_by=created_at&order=asc", ["Buy milk", "bread_buy", "Call Ann", "Zebra", "apple"]),
    ("is_completed=false&sort_by=due_date&order=asc", ["Zebra", "Buy milk", "Call Ann"]),
    ("unknown=1&page=2", ["apple", "Zebra", "Call Ann", "bread_buy", "Buy milk"]),
])
def test_filters_and_sorts(api, planned, query, expected):
    assert titles(api, query) == expected


def test_updated_at_sort_follows_the_latest_change(api, planned):
    api.patch(f"/api/user_a/tasks/{planned['Buy milk']}", {"tags": ["home"]}, format="json")

    assert titles(api, "sort_by=updated_at")[0] == "Buy milk"


def test_ties_are_broken_by_id_in_the_same_direction(api):
    ids = [api.post("/api/user_a/tasks", {"title": "Same", "priority": "low"}, format="json").json()["id"]
           for _ in range(3)]
    Task.objects.filter(pk__in=ids).update(created_at=T0)

    assert [t["id"] for t in api.get("/api/user_a/tasks?sort_by=priority&order=asc").json()] == sorted(ids)
    assert [t["id"] for t in api.get("/api/user_a/tasks?sort_by=priority").json()] == sorted(ids, reverse=True)
    assert [t["id"] for t in api.get("/api/user_a/tasks").json()] == sorted(ids, reverse=True)


LITERAL = "literal_error"


@pytest.mark.parametrize("query, name, kind, message", [
    ("priority=urgent", "priority", LITERAL, "Input should be 'low', 'medium' or 'high'"),
    ("priority=", "priority", LITERAL, "Input should be 'low', 'medium' or 'high'"),
    ("is_completed=yes", "is_completed", "bool_parsing", "Input should be a valid boolean, unable to interpret input"),
    ("is_completed=1", "is_completed", "bool_parsing", "Input should be a valid boolean, unable to interpret input"),
    ("is_completed=True", "is_completed", "bool_parsing", "Input should be a valid boolean, unable to interpret input"),
    ("sort_by=random", "sort_by", LITERAL,
     "Input should be 'created_at', 'updated_at', 'priority', 'due_date' or 'title'"),
    ("order=up", "order", LITERAL, "Input should be 'asc' or 'desc'"),
    ("order=ASC", "order", LITERAL, "Input should be 'asc' or 'desc'"),
    ("search=a%00b", "search", "value_error", "Value error, String should not contain NUL characters"),
    ("tags=a%00b", "tags", "value_error", "Value error, String should not contain NUL characters"),
])
def test_a_bad_value_is_422_at_its_query_name(api, query, name, kind, message):
    response = api.get(f"/api/user_a/tasks?{query}")

    assert response.status_code == 422
    assert response.json() == {"detail": [{"loc": ["query", name], "msg": message, "type": kind}]}


def test_every_bad_parameter_is_reported_at_once(api):
    response = api.get("/api/user_a/tasks?priority=x&is_completed=x&sort_by=x&order=x")

    assert [item["loc"] for item in response.json()["detail"]] == [
        ["query", "priority"], ["query", "is_completed"], ["query", "sort_by"], ["query", "order"]]

"""The admin's planning fields: shown as the API shows them, filtered, and edited by Support."""
import datetime
from collections.abc import Callable

import pytest
from django.contrib.admin.models import LogEntry

from tasks.models import Tag, Task, TaskTag

from .test_admin import CHANGELIST, support, support_user, titles_in  # noqa: F401

pytestmark = pytest.mark.django_db
UTC = datetime.timezone.utc


@pytest.fixture
def planned(make_task: Callable[..., Task]) -> dict[str, Task]:
    at = lambda *parts: datetime.datetime(*parts, tzinfo=UTC)  # noqa: E731
    tasks = {
        "rent": make_task(user_id="sub_ada", title="Pay rent", priority="high", due_date=at(2026, 12, 5, 9, 30),
                          due_date_kind="floating", recurrence_pattern="monthly"),
        "call": make_task(user_id="sub_ada", title="Call bank", priority="low", due_date=at(2026, 12, 1, 8, 0),
                          due_date_kind="instant"),
        "trip": make_task(user_id="sub_bob", title="Trip", due_date=at(2027, 1, 2), due_date_kind="date"),
        "none": make_task(user_id="sub_bob", title="Someday"),
    }
    money = Tag.objects.create(user_id="sub_ada", name="money")
    TaskTag.objects.create(user_id="sub_ada", task=tasks["rent"], tag=money)
    TaskTag.objects.create(user_id="sub_ada", task=tasks["call"], tag=money)
    TaskTag.objects.create(user_id="sub_ada", task=tasks["rent"], tag=Tag.objects.create(user_id="sub_ada", name="home"))
    return tasks


def test_changelist_shows_priority_due_date_as_the_api_does_and_tags(support, planned):
    response = support.get(CHANGELIST)

    assert response.status_code == 200
    rows = {row.title: row for row in response.context["cl"].result_list}
    admin = response.context["cl"].model_admin
    assert {title: admin.due(row) for title, row in rows.items()} == {
        "Pay rent": "2026-12-05T09:30:00", "Call bank": "2026-12-01T08:00:00Z", "Trip": "2027-01-02", "Someday": "-"}
    assert admin.tag_list(rows["Pay rent"]) == "home, money" and admin.tag_list(rows["Someday"]) == "-"
    assert "2026-12-05T09:30:00" in response.text and "2026-12-01T08:00:00Z" in response.text


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param({"priority__exact": "high"}, {"Pay rent"}, id="priority"),
        pytest.param({"tag": "money"}, {"Pay rent", "Call bank"}, id="tag"),
        pytest.param({"tag": "home", "priority__exact": "high"}, {"Pay rent"}, id="tag-and-priority"),
        pytest.param({"due_date__isnull": "True"}, {"Someday"}, id="no-due-date"),
        pytest.param({"due_date__gte": "2026-12-02", "due_date__lt": "2027-12-31"}, {"Pay rent", "Trip"}, id="due-range"),
    ],
)
def test_filters_by_priority_tag_and_due_date(support, planned, query, expected):
    response = support.get(CHANGELIST, query)

    assert response.status_code == 200 and titles_in(response) == expected


def form_of(task: Task, **changes: str) -> dict[str, str]:
    form = {"title": task.title, "description": task.description or "", "priority": task.priority,
            "due_date_0": "", "due_date_1": "", "due_date_kind": task.due_date_kind or "", "tag_names": ""}
    if task.due_date:
        form.update(due_date_0=task.due_date.date().isoformat(), due_date_1=task.due_date.time().isoformat())
    return {**form, **changes}


def test_support_changes_priority_due_date_and_tags_and_nothing_else(support, planned):
    task = planned["call"]
    before = task.updated_at
    form = form_of(task, priority="high", due_date_0="2026-12-24", due_date_1="18:00:00", due_date_kind="floating",
                   tag_names="money, Xmas ,xmas", recurrence_pattern="daily", user_id="sub_bob", next_occurrence_id="7")

    response = support.post(f"{CHANGELIST}{task.pk}/change/", form)

    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.priority, task.due_date, task.due_date_kind) == ("high", datetime.datetime(2026, 12, 24, 18, tzinfo=UTC), "floating")
    assert sorted(task.tags.values_list("name", "user_id")) == [("Xmas", "sub_ada"), ("money", "sub_ada"), ("xmas", "sub_ada")]
    assert (task.recurrence_pattern, task.user_id, task.next_occurrence_id) == (None, "sub_ada", None)
    assert task.updated_at > before
    assert "Changed Priority, Due date, Due date kind and Tags." == LogEntry.objects.get(object_id=str(task.pk)).get_change_message()


def test_removing_every_tag_in_the_admin_leaves_the_tags_themselves(support, planned):
    task = planned["rent"]

    response = support.post(f"{CHANGELIST}{task.pk}/change/", form_of(task, tag_names=""))

    assert response.status_code == 302
    assert not task.tags.exists() and Tag.objects.filter(user_id="sub_ada").count() == 2


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"due_date_kind": ""}, "due_date_kind", id="due-date-without-kind"),
        pytest.param({"priority": "urgent"}, "priority", id="unknown-priority"),
        pytest.param({"tag_names": "x" * 51}, "tag_names", id="tag-name-too-long"),
    ],
)
def test_bad_planning_input_is_a_form_error_and_writes_nothing(support, planned, changes, field):
    task = planned["call"]

    response = support.post(f"{CHANGELIST}{task.pk}/change/", form_of(task, **changes))

    assert response.status_code == 200 and field in response.context["adminform"].form.errors
    fresh = Task.objects.get(pk=task.pk)
    assert (fresh.priority, fresh.due_date_kind, fresh.updated_at) == (task.priority, task.due_date_kind, task.updated_at)
    assert sorted(fresh.tags.values_list("name", flat=True)) == ["money"]


def test_a_date_due_date_is_saved_at_its_midnight(support, planned):
    task = planned["none"]

    response = support.post(f"{CHANGELIST}{task.pk}/change/", form_of(task, due_date_0="2027-03-01", due_date_1="15:45:00",
                                                                      due_date_kind="date"))

    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.due_date, task.due_date_kind) == (datetime.datetime(2027, 3, 1, tzinfo=UTC), "date")


def test_support_sees_tags_but_cannot_add_change_or_delete_them(support, planned):
    tag = Tag.objects.get(name="home")

    listed = support.get("/admin/tasks/tag/")
    add = support.get("/admin/tasks/tag/add/")
    delete = support.post(f"/admin/tasks/tag/{tag.pk}/delete/", {"post": "yes"})

    assert listed.status_code == 200 and "home" in listed.text
    assert add.status_code == 403 and delete.status_code == 403 and Tag.objects.filter(pk=tag.pk).exists()

"""The admin as support staff use it: a `Support` user, and an anonymous visitor."""
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone

from tasks.models import Owner, Task

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/tasks/task/"


@pytest.fixture
def support_user() -> User:
    user = User.objects.create_user("agent@example.com", "agent@example.com", "a-long-passphrase", is_staff=True)
    user.groups.add(Group.objects.get(name="Support"))
    return user


@pytest.fixture
def support(support_user: User) -> Client:
    """Django's test client, logged in as a member of the Support group."""
    client = Client()
    client.force_login(support_user)
    return client


@pytest.fixture
def ada_tasks(make_task: Callable[..., Task]) -> list[Task]:
    Owner.objects.create(sub="sub_ada", email="ada@example.com", name="Ada Lovelace")
    Owner.objects.create(sub="sub_bob", email="bob@example.com", name="Bob")
    return [
        make_task(user_id="sub_ada", title="Buy milk", description="semi-skimmed"),
        make_task(user_id="sub_ada", title="Write notes", is_completed=True),
        make_task(user_id="sub_bob", title="Fix bike", description="rear tyre"),
        make_task(user_id="sub_nobody", title="Adopted row"),
    ]


def titles_in(response) -> set[str]:
    return {task.title for task in response.context["cl"].result_list}


def test_support_group_has_exactly_view_change_task_view_owner_view_tag_and_view_account():
    codenames = set(Group.objects.get(name="Support").permissions.values_list("codename", flat=True))

    assert codenames == {"view_task", "change_task", "view_owner", "view_tag", "view_account"}


@pytest.mark.parametrize("path", [CHANGELIST, "/admin/tasks/owner/", "/admin/"])
def test_anonymous_visitor_is_sent_to_the_login_page(path):
    response = Client().get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_anonymous_bulk_action_changes_nothing(ada_tasks):
    response = Client().post(CHANGELIST, {"action": "mark_complete", "_selected_action": [t.pk for t in ada_tasks]})

    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert Task.objects.filter(is_completed=True).count() == 1 and not LogEntry.objects.exists()


def test_changelist_shows_owner_email_without_a_query_per_row(support, ada_tasks, django_assert_num_queries):
    # session, user, user + group permissions, the table estimate, an exact COUNT (a
    # small table), one SELECT whose subquery brings each task's owner email, the
    # page's tags (one prefetch) and the tag filter's names.
    with django_assert_num_queries(9) as captured:
        response = support.get(CHANGELIST)

    assert response.status_code == 200
    assert "ada@example.com" in response.text and "bob@example.com" in response.text
    assert titles_in(response) == {t.title for t in ada_tasks}
    page_selects = [q["sql"] for q in captured.captured_queries if q["sql"].startswith('SELECT "tasks"."id"')]
    assert len(page_selects) == 1 and 'FROM "task_owners"' in page_selects[0]


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        pytest.param("ada@example.com", {"Buy milk", "Write notes"}, id="owner-email"),
        pytest.param("LOVELACE", {"Buy milk", "Write notes"}, id="owner-name"),
        pytest.param("sub_bob", {"Fix bike"}, id="exact-sub"),
        pytest.param("sub_", set(), id="partial-sub-is-not-a-match"),
        pytest.param("tyre", {"Fix bike"}, id="description"),
        pytest.param("milk", {"Buy milk"}, id="title"),
    ],
)
def test_search_finds_tasks_by_owner_and_text(support, ada_tasks, term, expected):
    response = support.get(CHANGELIST, {"q": term})

    assert response.status_code == 200
    assert titles_in(response) == expected


def test_search_by_owner_still_honours_the_completion_filter(support, ada_tasks):
    response = support.get(CHANGELIST, {"q": "ada@example.com", "is_completed__exact": "1"})

    assert titles_in(response) == {"Write notes"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param({"is_completed__exact": "1"}, {"Write notes"}, id="completed"),
        pytest.param({"is_completed__exact": "0"}, {"Buy milk", "Fix bike", "Adopted row"}, id="open"),
        pytest.param({"created_at__gte": "2000-01-01 00:00:00+00:00", "created_at__lt": "2000-01-02 00:00:00+00:00"}, set(), id="created-long-ago"),
    ],
)
def test_filters_by_completion_and_date(support, ada_tasks, query, expected):
    response = support.get(CHANGELIST, query)

    assert response.status_code == 200
    assert titles_in(response) == expected


def test_updated_date_filter_selects_recently_updated_tasks(support, ada_tasks):
    today = timezone.now().date()
    query = {"updated_at__gte": f"{today - timedelta(days=7)} 00:00:00+00:00", "updated_at__lt": f"{today + timedelta(days=1)} 00:00:00+00:00"}

    response = support.get(CHANGELIST, query)

    assert titles_in(response) == {t.title for t in ada_tasks}


def test_change_page_edits_only_title_description_and_completion(support, support_user, ada_tasks):
    task = ada_tasks[0]
    form = {"title": "Buy oat milk", "description": "semi-skimmed", "is_completed": "on", "priority": "medium",
            "user_id": "sub_bob", "created_at": "2000-01-01 00:00:00", "recurrence_pattern": "daily"}

    response = support.post(f"{CHANGELIST}{task.pk}/change/", form)

    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.title, task.is_completed, task.user_id, task.recurrence_pattern) == ("Buy oat milk", True, "sub_ada", None)
    assert task.updated_at > task.created_at and task.created_at.year > 2000
    entry = LogEntry.objects.get(object_id=str(task.pk))
    assert entry.user == support_user and entry.action_flag == CHANGE
    assert entry.get_change_message() == "Changed Title and Is completed."


def test_change_page_shows_owner_and_timestamps_read_only(support, ada_tasks):
    response = support.get(f"{CHANGELIST}{ada_tasks[0].pk}/change/")

    assert response.status_code == 200
    assert set(response.context["adminform"].form.fields) == {
        "title", "description", "is_completed", "priority", "due_date", "due_date_kind", "tag_names"}
    assert "ada@example.com" in response.text and "sub_ada" in response.text


def test_saving_an_unchanged_form_leaves_updated_at_alone(support, ada_tasks):
    task = ada_tasks[0]

    response = support.post(f"{CHANGELIST}{task.pk}/change/", {"title": task.title, "description": task.description,
                                                             "priority": task.priority})

    assert response.status_code == 302
    before = task.updated_at
    task.refresh_from_db()
    assert task.updated_at == before


@pytest.mark.parametrize(
    ("action", "state", "changed_titles"),
    [
        pytest.param("mark_complete", True, {"Buy milk", "Fix bike"}, id="complete"),
        pytest.param("mark_incomplete", False, {"Write notes"}, id="incomplete"),
    ],
)
def test_bulk_actions_write_only_changing_rows_and_log_each(support, support_user, ada_tasks, action, state, changed_titles):
    selected = ada_tasks[:3]
    before = {t.pk: t.updated_at for t in Task.objects.filter(pk__in=[t.pk for t in selected])}

    response = support.post(CHANGELIST, {"action": action, "_selected_action": [t.pk for t in selected]}, follow=True)

    assert response.status_code == 200
    assert f"Marked {len(changed_titles)} task(s)" in response.text
    after = {t.title: t for t in Task.objects.filter(pk__in=before)}
    assert all(t.is_completed is state for t in after.values())
    assert {title for title, t in after.items() if t.updated_at != before[t.pk]} == changed_titles
    logged = LogEntry.objects.filter(user=support_user, action_flag=CHANGE)
    assert {entry.object_repr for entry in logged} == changed_titles
    assert not Task.objects.get(title="Adopted row").is_completed


@pytest.mark.parametrize(
    ("method", "path"),
    [
        pytest.param("get", CHANGELIST + "add/", id="add-task"),
        pytest.param("post", CHANGELIST + "{pk}/delete/", id="delete-task"),
        pytest.param("get", "/admin/auth/user/", id="users"),
        pytest.param("get", "/admin/auth/group/", id="groups"),
        pytest.param("get", "/admin/tasks/owner/sub_ada/delete/", id="delete-owner"),
    ],
)
def test_support_user_cannot_add_delete_or_administer_users(support, ada_tasks, method, path):
    response = getattr(support, method)(path.format(pk=ada_tasks[0].pk), {"post": "yes"} if method == "post" else None)

    assert response.status_code == 403
    assert Task.objects.count() == 4 and User.objects.count() == 1


def test_changelist_offers_no_bulk_delete_to_support(support, ada_tasks):
    response = support.get(CHANGELIST)

    assert set(response.context["action_form"].fields["action"].choices) >= {("mark_complete", "Mark selected tasks complete")}
    assert "delete_selected" not in dict(response.context["action_form"].fields["action"].choices)


def test_owner_directory_is_searchable_and_read_only(support, ada_tasks):
    listing = support.get("/admin/tasks/owner/", {"q": "ada@"})
    detail = support.post("/admin/tasks/owner/sub_ada/change/", {"email": "x@example.com"})

    assert [o.sub for o in listing.context["cl"].result_list] == ["sub_ada"]
    assert detail.status_code == 403
    assert Owner.objects.get(sub="sub_ada").email == "ada@example.com"

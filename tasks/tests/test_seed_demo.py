"""manage.py seed_demo: counts, idempotence, --reset, refusal of bad input."""
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, F

from tasks.models import Task

pytestmark = pytest.mark.django_db


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def test_seeds_each_demo_user_with_the_asked_number_of_tasks() -> None:
    output = seed("--users", "3", "--tasks", "20")

    counts = dict(Task.objects.values_list("user_id").annotate(n=Count("id")))
    assert counts == {"demo-user-0001": 20, "demo-user-0002": 20, "demo-user-0003": 20}
    assert "Seeded 60 task(s) for 3 user(s), 0 skipped" in output
    assert "\r" not in output  # no progress bar when stdout is not a terminal


def test_seeded_tasks_are_varied_and_spread_over_past_months() -> None:
    seed("--users", "1", "--tasks", "200")

    tasks = Task.objects.all()
    assert tasks.values("title").distinct().count() > 50
    assert 0 < tasks.filter(is_completed=True).count() < 200
    assert 0 < tasks.filter(description=None).count() < 200
    newest, oldest = tasks.latest("created_at").created_at, tasks.earliest("created_at").created_at
    assert (newest - oldest).days > 60
    assert not tasks.filter(updated_at__lt=F("created_at")).exists()


def test_seeded_tasks_plan_like_real_users() -> None:
    """Every priority, due dates of each kind and none, recurring tasks, and 0-3 tags a task."""
    seed("--users", "2", "--tasks", "300")

    tasks = Task.objects.filter(user_id="demo-user-0001")
    assert set(tasks.values_list("priority", flat=True)) == {"low", "medium", "high"}
    assert set(tasks.values_list("due_date_kind", flat=True)) == {None, "floating", "instant", "date"}
    assert set(tasks.values_list("recurrence_pattern", flat=True)) == {None, "daily", "weekly", "monthly"}
    assert tasks.filter(recurrence_end_date__isnull=False).exists()
    tag_counts = {n for n in tasks.annotate(n=Count("tags")).values_list("n", flat=True)}
    assert tag_counts == {0, 1, 2, 3}
    # Each user's tasks carry only that user's tags.
    assert not Task.objects.filter(user_id="demo-user-0001", tags__user_id="demo-user-0002").exists()


def test_second_run_skips_users_that_have_their_tasks() -> None:
    seed("--users", "2", "--tasks", "10")
    ids_before = set(Task.objects.values_list("id", flat=True))

    output = seed("--users", "3", "--tasks", "10")

    assert "Seeded 10 task(s) for 1 user(s), 2 skipped" in output
    assert ids_before <= set(Task.objects.values_list("id", flat=True))
    assert Task.objects.count() == 30


def test_reset_replaces_demo_tasks_and_leaves_other_users_alone() -> None:
    Task.objects.create(user_id="real-user", title="Mine")
    seed("--users", "2", "--tasks", "10")
    old_ids = set(Task.objects.filter(user_id__startswith="demo-user-").values_list("id", flat=True))

    output = seed("--users", "2", "--tasks", "5", "--reset")

    assert "Deleted 20 demo task(s)." in output
    assert Task.objects.filter(user_id__startswith="demo-user-").count() == 10
    assert not Task.objects.filter(id__in=old_ids).exists()
    assert Task.objects.filter(user_id="real-user").count() == 1


@pytest.mark.parametrize("args", [["--users", "0"], ["--tasks", "0"], ["--users", "-5", "--tasks", "3"]])
def test_refuses_fewer_than_one_user_or_task(args: list[str]) -> None:
    with pytest.raises(CommandError, match="--users and --tasks must be at least 1"):
        seed(*args)
    assert not Task.objects.exists()

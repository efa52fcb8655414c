"""The `Support` group may also see tags (the admin's read-only Tag list). Priority, due
date and tags of a task are edited under change_task, which it has; TaskAdmin keeps what
it may edit to those and title, description, completion."""
from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

SUPPORT_GROUP = "Support"


def grant_view_tag(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    alias = schema_editor.connection.alias
    tasks_config = apps.get_app_config("tasks")
    tasks_config.models_module = True  # as in 0003: permissions now, not after all migrations
    create_permissions(tasks_config, apps=apps, verbosity=0, using=alias)
    permission = apps.get_model("auth", "Permission").objects.using(alias).get(
        content_type__app_label="tasks", content_type__model="tag", codename="view_tag")
    apps.get_model("auth", "Group").objects.using(alias).get(name=SUPPORT_GROUP).permissions.add(permission)


def revoke_view_tag(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    group = apps.get_model("auth", "Group").objects.using(schema_editor.connection.alias).filter(name=SUPPORT_GROUP).first()
    if group:
        group.permissions.remove(*group.permissions.filter(content_type__model="tag", codename="view_tag"))


class Migration(migrations.Migration):

    dependencies = [("tasks", "0004_planning_fields_and_tags")]

    operations = [migrations.RunPython(grant_view_tag, revoke_view_tag)]

"""The `Support` group: view tasks and owners, change tasks (only title, description and
is_completed are editable in TaskAdmin), nothing else. A data migration, so every
database gets the same group with no manual step."""
from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

SUPPORT_GROUP = "Support"
SUPPORT_PERMISSIONS = [("task", "view_task"), ("task", "change_task"), ("owner", "view_owner")]


def create_support_group(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    # Permissions are normally created by post_migrate, i.e. after *all* migrations;
    # create the tasks app's now so a single `migrate` can grant them.
    tasks_config = apps.get_app_config("tasks")
    tasks_config.models_module = True
    create_permissions(tasks_config, apps=apps, verbosity=0, using=schema_editor.connection.alias)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.using(schema_editor.connection.alias).get_or_create(name=SUPPORT_GROUP)
    group.permissions.set(
        Permission.objects.using(schema_editor.connection.alias).get(
            content_type__app_label="tasks", content_type__model=model, codename=codename
        )
        for model, codename in SUPPORT_PERMISSIONS
    )


def delete_support_group(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    apps.get_model("auth", "Group").objects.using(schema_editor.connection.alias).filter(name=SUPPORT_GROUP).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("tasks", "0002_owner_directory_and_admin_index"),
    ]

    operations = [migrations.RunPython(create_support_group, delete_support_group)]

"""The `Support` group (tasks.0003) may view accounts, and so send reset mails from them."""
from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

SUPPORT_GROUP = "Support"


def grant_view_account(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    alias = schema_editor.connection.alias
    config = apps.get_app_config("accounts")
    config.models_module = True  # as in tasks.0003: permissions now, not after all migrations
    create_permissions(config, apps=apps, verbosity=0, using=alias)
    permission = apps.get_model("auth", "Permission").objects.using(alias).get(
        content_type__app_label="accounts", content_type__model="account", codename="view_account")
    apps.get_model("auth", "Group").objects.using(alias).get(name=SUPPORT_GROUP).permissions.add(permission)


def revoke_view_account(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    group = apps.get_model("auth", "Group").objects.using(schema_editor.connection.alias).filter(name=SUPPORT_GROUP).first()
    if group:
        group.permissions.remove(*group.permissions.filter(content_type__app_label="accounts", codename="view_account"))


class Migration(migrations.Migration):

    dependencies = [("accounts", "0001_initial"), ("tasks", "0003_support_group")]

    operations = [migrations.RunPython(grant_view_account, revoke_view_account)]

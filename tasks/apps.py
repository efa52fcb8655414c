from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate


class TasksConfig(AppConfig):
    name = "tasks"
    verbose_name = "Tasks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .database.deadlines import install_deadline
        from .database.session import configure_session, store_session_timeouts

        # First, so that the statement-timeout query below is bounded too.
        connection_created.connect(install_deadline, dispatch_uid="tasks.client_deadline")
        connection_created.connect(configure_session, dispatch_uid="tasks.configure_session")
        post_migrate.connect(store_session_timeouts, sender=self, dispatch_uid="tasks.store_statement_timeout")
        from . import checks  # noqa: F401  # registers the "taskflow" system checks

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class InteractionsConfig(AppConfig):
    name = "interactions"
    verbose_name = "Interactions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the OpenAPI description of the API key authentication with drf-spectacular.
        from interactions.api import openapi  # noqa: F401
        from interactions.services.roles import roles_ensure

        # Permissions exist only after migrate's post_migrate step, so the roles follow it.
        post_migrate.connect(roles_ensure, dispatch_uid="interactions.roles_ensure")

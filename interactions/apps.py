from django.apps import AppConfig


class InteractionsConfig(AppConfig):
    name = "interactions"
    verbose_name = "Interactions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the OpenAPI description of the API key authentication with drf-spectacular.
        from engage_site.api import openapi  # noqa: F401

from django.apps import AppConfig


class AutomationsConfig(AppConfig):
    name = "automations"
    verbose_name = "Automations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Plug into the core: interaction events, schema deletion, contact erasure, the contact
        card, the navigation and the staff roles (the core never imports automations)."""
        from automations.services.automations import (
            automations_on_contact_erased,
            automations_on_schema_deleted,
        )
        from automations.services.claims import automations_handle_events
        from automations.services.demo import automations_demo_create
        from automations.views import contact_card_panel_context
        from interactions.public import (
            ADMIN,
            MARKETER,
            ContactCardPanel,
            Extension,
            NavigationLink,
            extension_register,
        )

        full = ("view", "add", "change", "delete")
        permissions = {
            "automation": full,
            "automationrun": ("view", "change"),
            "runattempt": ("view",),
        }
        extension_register(
            Extension(
                app_label=self.label,
                event_subscribers=(automations_handle_events,),
                schema_deletion_hooks=(automations_on_schema_deleted,),
                contact_erasure_hooks=(automations_on_contact_erased,),
                navigation=(
                    NavigationLink("Automations", "automation-list", "automations.view_automation"),
                ),
                card_panels=(
                    ContactCardPanel(
                        title="Automations",
                        template_name="automations/_contact_card_panel.html",
                        context=contact_card_panel_context,
                    ),
                ),
                demo_builders=(automations_demo_create,),
                role_permissions={ADMIN: permissions, MARKETER: permissions},
            )
        )

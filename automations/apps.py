from django.apps import AppConfig


class AutomationsConfig(AppConfig):
    name = "automations"
    verbose_name = "Automations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from automations.services.automations import (
            automations_on_contact_erased,
            automations_on_schema_deleted,
        )
        from automations.services.claims import automations_handle_events
        from interactions.registry import (
            contact_erasure_hooks,
            interaction_event_subscribers,
            navigation_links,
            schema_deletion_hooks,
        )
        from interactions.roles import ADMIN, MARKETER, ROLE_PERMISSIONS

        if automations_handle_events not in interaction_event_subscribers:
            interaction_event_subscribers.append(automations_handle_events)
        if automations_on_schema_deleted not in schema_deletion_hooks:
            schema_deletion_hooks.append(automations_on_schema_deleted)
        if automations_on_contact_erased not in contact_erasure_hooks:
            contact_erasure_hooks.append(automations_on_contact_erased)
        link = ("Automations", "automation-list", "automations.view_automation")
        if link not in navigation_links:
            navigation_links.append(link)
        full = ("view", "add", "change", "delete")
        for role in (ADMIN, MARKETER):
            ROLE_PERMISSIONS[role]["automations"] = {
                "automation": full,
                "automationrun": ("view", "change"),
                "runattempt": ("view",),
            }
        try:
            from interactions.panels import ContactCardPanel, contact_card_panels
        except ImportError:  # the contact card's panel registry is not there yet
            return
        from automations.views import contact_card_panel_context

        if not any(panel.title == "Automations" for panel in contact_card_panels):
            contact_card_panels.append(
                ContactCardPanel(
                    title="Automations",
                    template_name="automations/_contact_card_panel.html",
                    context=contact_card_panel_context,
                )
            )

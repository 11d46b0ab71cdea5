from django.apps import AppConfig


class SegmentsConfig(AppConfig):
    name = "segments"
    verbose_name = "Segments"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Plug into the core: interaction events, schema deletion, contact erasure, the contact
        card, the navigation and the staff roles (the core never imports segments)."""
        from interactions import panels, registry, roles
        from segments import services
        from segments.views import contact_card_panel_context

        if services.segment_events_receive not in registry.interaction_event_subscribers:
            registry.interaction_event_subscribers.append(services.segment_events_receive)
        if services.segments_deactivate_for_schema not in registry.schema_deletion_hooks:
            registry.schema_deletion_hooks.append(services.segments_deactivate_for_schema)
        if services.segments_forget_contact not in registry.contact_erasure_hooks:
            registry.contact_erasure_hooks.append(services.segments_forget_contact)
        link = ("Segments", "segment-list", "segments.view_segment")
        if link not in registry.navigation_links:
            registry.navigation_links.append(link)
        panel = panels.ContactCardPanel(
            title="Segments",
            template_name="segments/_contact_card_panel.html",
            context=contact_card_panel_context,
        )
        if panel not in panels.contact_card_panels:
            panels.contact_card_panels.append(panel)
        everything = ("view", "add", "change", "delete")
        for role in (roles.ADMIN, roles.MARKETER):
            roles.ROLE_PERMISSIONS[role]["segments"] = {
                "segment": everything,
                "segmentmembership": ("view",),
            }

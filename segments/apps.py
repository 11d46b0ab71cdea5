from django.apps import AppConfig


class SegmentsConfig(AppConfig):
    name = "segments"
    verbose_name = "Segments"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Plug into the core: interaction events, schema deletion, contact erasure, the contact
        card, the navigation and the staff roles (the core never imports segments)."""
        from interactions.public import (
            ADMIN,
            MARKETER,
            ContactCardPanel,
            Extension,
            NavigationLink,
            extension_register,
        )
        from segments.services.demo import segments_demo_create
        from segments.services.events import (
            segment_events_receive,
            segments_deactivate_for_schema,
            segments_forget_contact,
        )
        from segments.views import contact_card_panel_context

        everything = ("view", "add", "change", "delete")
        # Marketers build and change segments; deleting one (and its history) is for admins.
        admin = {"segment": everything, "segmentmembership": ("view",)}
        marketer = {"segment": ("view", "add", "change"), "segmentmembership": ("view",)}
        extension_register(
            Extension(
                app_label=self.label,
                event_subscribers=(segment_events_receive,),
                schema_deletion_hooks=(segments_deactivate_for_schema,),
                contact_erasure_hooks=(segments_forget_contact,),
                navigation=(NavigationLink("Segments", "segment-list", "segments.view_segment"),),
                card_panels=(
                    ContactCardPanel(
                        title="Segments",
                        template_name="segments/_contact_card_panel.html",
                        context=contact_card_panel_context,
                    ),
                ),
                demo_builders=(segments_demo_create,),
                role_permissions={ADMIN: admin, MARKETER: marketer},
            )
        )

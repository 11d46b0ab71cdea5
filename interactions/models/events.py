from django.db import models
from django.utils import timezone

from interactions.models.tenants import Tenant


class InteractionEvent(models.Model):
    """An outbox row: "an interaction was received" (or deleted), committed with the interaction.

    Other apps (segments, automations) subscribe through ``interactions.extensions``;
    ``interaction_events_dispatch`` hands them undispatched events in order, so an event committed
    with its interaction is never lost, even if the process dies right after the commit.
    """

    class Kind(models.TextChoices):
        RECEIVED = "received"
        DELETED = "deleted"

    class Source(models.TextChoices):
        """Where the interaction came from; subscribers decide what that means to them."""

        API = "api"  # posted to the API
        IMPORT = "import"  # loaded in bulk
        REPLAY = "replay"  # a refused interaction re-submitted once its cause was fixed

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    interaction_id = models.UUIDField()
    contact_id = models.UUIDField()
    schema_pk = models.BigIntegerField(help_text="The InteractionSchema row (not its wire id).")
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.API)
    created_at = models.DateTimeField(default=timezone.now)
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            # The dispatcher reads undispatched events oldest first.
            models.Index(
                fields=["id"],
                condition=models.Q(dispatched_at__isnull=True),
                name="event_undispatched",
            ),
            # The retention job deletes old dispatched events.
            models.Index(fields=["dispatched_at"], name="event_dispatched"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.interaction_id}"

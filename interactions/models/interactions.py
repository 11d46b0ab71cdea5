import uuid

from django.db import models
from django.utils import timezone

from interactions.ids import uuid7
from interactions.models.contacts import Contact
from interactions.models.indexes import CoveringIndex
from interactions.models.schemas import InteractionSchema
from interactions.models.tenants import Tenant


class Interaction(models.Model):
    """Something a contact did, stored with the properties that matched its schema.

    The request body as received is kept as a raw copy (``interactions.services.raw_storage``),
    under a path derived from the id, so this table holds no pointer to it.
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="interactions")
    schema = models.ForeignKey(
        InteractionSchema, on_delete=models.CASCADE, related_name="interactions"
    )
    created_date = models.DateTimeField(
        help_text="When it happened (from the client or defaulted)."
    )
    received_at = models.DateTimeField(default=timezone.now, help_text="When the server got it.")
    payload = models.JSONField(default=dict)
    dropped_properties = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_date", "-id"]
        indexes = [
            # GET interactions?contactId=&schemaId=: keyset pages, newest created_date first.
            models.Index(
                fields=["contact", "schema", "-created_date", "-id"], name="interaction_listing"
            ),
            # The contact card: all of a contact's interactions, newest first.
            models.Index(fields=["contact", "-created_date", "-id"], name="interaction_card"),
            # Purging a deleted schema, and segment counts by schema and time.
            models.Index(fields=["schema", "created_date"], name="interaction_schema_time"),
            # Segment rule compilation: a schema's interactions per contact in a time window
            # (WHERE tenant, schema, created_date >= … GROUP BY contact), from the index alone.
            # Named for the segments migration that first made it outside the model state.
            CoveringIndex(
                fields=["tenant", "schema", "created_date"],
                covering=["contact"],
                name="segments_interaction_window",
            ),
        ]

    def __str__(self) -> str:
        return str(self.id)


class RefusedInteraction(models.Model):
    """An interaction POST that was refused, kept with its reasons so the sender can see why.

    The body is a raw copy like an accepted one's. ``contact_id`` is what the body named (it may
    name no contact), so erasing a contact can find the refused bodies about it.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    received_at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveSmallIntegerField()
    error_code = models.CharField(max_length=64)
    errors = models.JSONField(default=list)
    contact_id = models.UUIDField(null=True, blank=True)
    schema_id = models.CharField(max_length=64, blank=True)
    # Set when the body was re-submitted from the admin and accepted.
    replayed_as = models.UUIDField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            # Erasing a contact finds the refused bodies that name it.
            models.Index(fields=["tenant", "contact_id"], name="refused_contact"),
            # The retention job deletes the oldest.
            models.Index(fields=["received_at"], name="refused_received"),
        ]

    def __str__(self) -> str:
        return f"{self.error_code} {self.id}"

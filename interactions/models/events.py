import uuid

from django.db import models
from django.utils import timezone

from interactions.models.tenants import Tenant


class InteractionEvent(models.Model):
    """An outbox row: "an interaction was received" (or deleted), committed with the interaction;
    or "a contact was created, changed (its attributes or its tags) or deleted", committed with
    that change (no interaction nor schema then).

    Other apps (segments, automations) subscribe through ``interactions.extensions``;
    ``interaction_events_dispatch`` hands them undispatched events in order, so an event committed
    with its interaction is never lost, even if the process dies right after the commit.
    """

    class Kind(models.TextChoices):
        RECEIVED = "received"
        DELETED = "deleted"
        CONTACT_CREATED = "contact_created"
        CONTACT_CHANGED = "contact_changed"  # attributes, or a tag put on or taken off
        CONTACT_DELETED = "contact_deleted"

    class Source(models.TextChoices):
        """Where the interaction came from; subscribers decide what that means to them."""

        API = "api"  # posted to the API
        IMPORT = "import"  # loaded in bulk
        REPLAY = "replay"  # a refused interaction re-submitted once its cause was fixed

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # None on contact events.
    interaction_id = models.UUIDField(null=True, blank=True)
    contact_id = models.UUIDField()
    schema_pk = models.BigIntegerField(
        null=True, blank=True, help_text="The InteractionSchema row (not its wire id)."
    )
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.API)
    created_at = models.DateTimeField(default=timezone.now)
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            # An interaction event names its interaction and schema; a contact event neither.
            models.CheckConstraint(
                condition=models.Q(
                    kind__in=["received", "deleted"],
                    interaction_id__isnull=False,
                    schema_pk__isnull=False,
                )
                | models.Q(
                    kind__in=["contact_created", "contact_changed", "contact_deleted"],
                    interaction_id__isnull=True,
                    schema_pk__isnull=True,
                ),
                name="event_names_its_subject",
            ),
        ]
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
        return f"{self.kind} {self.interaction_id or self.contact_id}"


class EventDelivery(models.Model):
    """An event one subscriber has not taken yet: it raised on it, or it waits behind an earlier
    event of the same contact that did.

    ``interaction_events_dispatch`` hands every event to every subscriber; when a subscriber raises
    on an event, the event's other subscribers and the other events still go on, and the failing
    pair is written here with its error and tried again with exponential back-off
    (``interactions.services.event_deliveries``). After ``EVENT_MAX_ATTEMPTS`` failures it is
    *parked*: kept for the tenant's admins to read and replay, and tried no more on its own.

    Rows carry a copy of the event (the outbox row itself is purged a day after dispatch); once
    the subscriber has taken the event a row says so (``delivered``) for a day.
    """

    class Status(models.TextChoices):
        RETRYING = "retrying"  # failed; tried again at next_attempt_at
        WAITING = "waiting"  # behind a failed event of the same contact for this subscriber
        PARKED = "parked"  # failed EVENT_MAX_ATTEMPTS times; waits for a replay
        DELIVERED = "delivered"  # taken at last (by a retry or a replay); purged after a day

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    subscriber = models.CharField(max_length=200, help_text="The subscriber's dotted name.")
    status = models.CharField(max_length=9, choices=Status.choices)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # The event, as it was written (InteractionEvent's fields).
    event_id = models.BigIntegerField()
    kind = models.CharField(max_length=16, choices=InteractionEvent.Kind.choices)
    source = models.CharField(max_length=8, choices=InteractionEvent.Source.choices)
    interaction_id = models.UUIDField(null=True, blank=True)
    contact_id = models.UUIDField()
    schema_pk = models.BigIntegerField(null=True, blank=True)
    event_created_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "event delivery"
        verbose_name_plural = "event deliveries"
        constraints = [
            # One row per event and subscriber: a second failure updates the first.
            models.UniqueConstraint(fields=["subscriber", "event_id"], name="delivery_once"),
            models.CheckConstraint(
                condition=~models.Q(status="retrying") | models.Q(next_attempt_at__isnull=False),
                name="delivery_retry_has_time",
            ),
        ]
        indexes = [
            # The retry pass: deliveries whose next attempt is due.
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="retrying"),
                name="delivery_due",
            ),
            # The dispatcher: does this subscriber hold events of these contacts back?
            models.Index(fields=["subscriber", "contact_id", "event_id"], name="delivery_queue"),
            # The tenant's list of failed deliveries, newest first (keyset on the immutable
            # created_at, so that retries don't move rows between pages).
            models.Index(fields=["tenant", "-created_at", "-id"], name="delivery_by_tenant"),
        ]

    def __str__(self) -> str:
        return f"event {self.event_id} to {self.subscriber} ({self.status})"

    def as_event(self) -> InteractionEvent:
        """The event as subscribers get it (not saved: the outbox row may be gone)."""
        return InteractionEvent(
            pk=self.event_id,
            tenant_id=self.tenant_id,
            kind=self.kind,
            interaction_id=self.interaction_id,
            contact_id=self.contact_id,
            schema_pk=self.schema_pk,
            source=self.source,
            created_at=self.event_created_at,
            dispatched_at=self.event_created_at,
        )

import base64
import secrets
import uuid

from django.db import models
from django.utils import timezone

from interactions.public import InteractionSchema, Tenant


def new_webhook_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and the base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class Automation(models.Model):
    """A tenant's rule: when an interaction is received that matches the trigger, and the contact
    may enter (the entry rule), run the actions in order.

    ``actions`` is a list of action documents (webhook, email, tag) checked by
    ``automations.action_documents.action_problems``; ``condition_value`` is checked against the
    property's type by ``automations.triggers.condition_problems``.
    """

    class Trigger(models.TextChoices):
        NEW_INTERACTION = "new_interaction", "New interaction"
        SPECIFIC_INTERACTION = "specific_interaction", "New specific interaction"

    class Operator(models.TextChoices):
        EQUALS = "equals", "equals"
        ONE_OF = "one_of", "is one of"
        GREATER = "gt", "is greater than"
        GREATER_OR_EQUAL = "gte", "is at least"
        LESS = "lt", "is less than"
        LESS_OR_EQUAL = "lte", "is at most"

    class EntryRule(models.TextChoices):
        ONCE = "once", "Once per contact"
        ONCE_PER_VALUE = "once_per_value", "Once per contact per value"
        EVERY_N_DAYS = "every_n_days", "At most once per contact every N days"
        EVERY_TIME = "every_time", "Every time"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)
    # Only interactions received from this moment fire (reset on each activation; the claims
    # already made stay, so reactivating does not let a contact in twice).
    active_since = models.DateTimeField(null=True, blank=True)
    trigger = models.CharField(
        max_length=32, choices=Trigger.choices, default=Trigger.NEW_INTERACTION
    )
    # "New interaction": the schemas that fire it (none chosen: any schema).
    schemas = models.ManyToManyField(InteractionSchema, blank=True, related_name="+")
    # "New specific interaction": the schema, one of its properties, and a condition on its value.
    schema = models.ForeignKey(
        InteractionSchema, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    property_name = models.CharField(max_length=128, blank=True)
    operator = models.CharField(max_length=8, choices=Operator.choices, blank=True)
    condition_value = models.JSONField(null=True, blank=True)
    entry_rule = models.CharField(max_length=20, choices=EntryRule.choices, default=EntryRule.ONCE)
    entry_period_days = models.PositiveIntegerField(null=True, blank=True)
    actions = models.JSONField(default=list)
    webhook_secret = models.CharField(max_length=80, default=new_webhook_secret)
    # The secret replaced by the last rotation: deliveries carry its signature too until then.
    previous_webhook_secret = models.CharField(max_length=80, blank=True)
    previous_webhook_secret_expires_at = models.DateTimeField(null=True, blank=True)
    # The secret's text from before secrets took the Standard Webhooks form: it keys only the
    # deprecated X-Engage-Signature header, so receivers checking that header keep working until
    # the next rotation. Goes away with that header.
    legacy_webhook_secret = models.CharField(max_length=80, blank=True)
    # Why the automation was switched off by the system (e.g. its schema was deleted).
    flagged_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            # The event subscriber reads a tenant's active automations for every batch.
            models.Index(
                fields=["tenant"], condition=models.Q(is_active=True), name="automation_active"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(entry_rule="every_n_days") | models.Q(entry_period_days__gte=1),
                name="automation_period_days_set",
            )
        ]

    def __str__(self) -> str:
        return self.name

"""Wire shapes of the automations extension (camelCase, like the core)."""

from typing import Any

from rest_framework import serializers

from automations.models import Automation, AutomationRun
from engage_site.api.serializers import LinkOutput, StrictCharField


class AutomationInput(serializers.Serializer[Any]):
    name = StrictCharField(max_length=200)
    active = serializers.BooleanField(default=True)
    trigger = serializers.ChoiceField(choices=Automation.Trigger.values)
    schemaIds = serializers.ListField(
        child=StrictCharField(max_length=64), required=False, default=list, max_length=50
    )
    schemaId = StrictCharField(max_length=64, required=False, allow_null=True, default=None)
    property = StrictCharField(
        max_length=128,
        required=False,
        default="",
        help_text="specific_interaction: a property of the schema, or for a schema with "
        "productSku a field of the interaction's product: product.brand, product.category (any "
        "level of the path), product.price (the amount), product.price.currency, "
        "product.attributes.<name>.",
    )
    operator = serializers.ChoiceField(
        choices=Automation.Operator.values, required=False, default=""
    )
    value = serializers.JSONField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Compared as the property's type; for product.attributes.<name>, the value's "
        "type decides (a number with numeric attributes, a text with text).",
    )
    entryRule = serializers.ChoiceField(
        choices=Automation.EntryRule.values, default=Automation.EntryRule.ONCE
    )
    entryPeriodDays = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1
    )
    actions = serializers.ListField(child=serializers.DictField(), max_length=10)


class AutomationOutput(serializers.Serializer[Any]):
    id = serializers.UUIDField(source="public_id")
    name = serializers.CharField()
    active = serializers.BooleanField(source="is_active")
    trigger = serializers.CharField()
    schemaIds = serializers.SerializerMethodField()
    schemaId = serializers.CharField(source="schema.schema_id", allow_null=True, default=None)
    property = serializers.CharField(source="property_name")
    operator = serializers.CharField()
    value = serializers.JSONField(source="condition_value")
    entryRule = serializers.CharField(source="entry_rule")
    entryPeriodDays = serializers.IntegerField(source="entry_period_days", allow_null=True)
    actions = serializers.ListField(child=serializers.DictField())
    flaggedReason = serializers.CharField(source="flagged_reason")
    created = serializers.DateTimeField(source="created_at")
    updated = serializers.DateTimeField(source="updated_at")

    def get_schemaIds(self, automation: Automation) -> list[str]:
        return sorted(schema.schema_id for schema in automation.schemas.all())


class AutomationCreatedOutput(AutomationOutput):
    """The create response: the automation and, this once, its webhook signing secret."""

    signingSecret = serializers.CharField(
        source="webhook_secret",
        help_text="The secret webhook deliveries are signed with (Standard Webhooks, whsec_…). "
        "Returned only here and by rotation: store it now.",
    )


class SecretRotateInput(serializers.Serializer[Any]):
    """An empty JSON object: like every POST of the API, rotation takes ``application/json``."""


class SecretRotatedOutput(serializers.Serializer[Any]):
    signingSecret = serializers.CharField(
        source="secret", help_text="The new secret (whsec_…). Returned only this once."
    )
    previousSecretExpires = serializers.DateTimeField(
        source="previous_expires_at",
        allow_null=True,
        help_text="Until when deliveries also carry the previous secret's signature.",
    )


class RunAttemptOutput(serializers.Serializer[Any]):
    action = serializers.IntegerField(source="action_index")
    actionType = serializers.CharField(source="action_type")
    attempt = serializers.IntegerField(source="number")
    outcome = serializers.CharField()
    durationMs = serializers.IntegerField(source="duration_ms")
    error = serializers.CharField()
    started = serializers.DateTimeField(source="started_at")


class AutomationRunOutput(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    contactId = serializers.UUIDField(source="contact_id")
    interactionId = serializers.UUIDField(source="interaction_id")
    status = serializers.CharField()
    error = serializers.CharField()
    created = serializers.DateTimeField(source="created_at")
    finished = serializers.DateTimeField(source="finished_at", allow_null=True)
    attempts = RunAttemptOutput(many=True)


class AutomationRunPageOutput(serializers.Serializer[Any]):
    links = LinkOutput(many=True)  # the core's component: one shape of links everywhere
    items = AutomationRunOutput(many=True)


def run_output(run: AutomationRun) -> Any:
    return AutomationRunOutput(run).data

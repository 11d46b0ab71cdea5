"""Writes of automations: create, update, activate, rotate the secret, and the core's hooks."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from automations.action_documents import action_problems
from automations.models import Automation, AutomationRun
from automations.models.automations import new_webhook_secret
from automations.services.webhooks import webhook_policy
from automations.triggers import (
    PRODUCT_FIELD_NAMES,
    condition_problems,
    product_field_type,
)
from engage_site.api.exceptions import InvalidRequest
from engage_site.api.problems import Problem
from interactions.public import (
    RESERVED_PRODUCT_SKU,
    Contact,
    InteractionSchema,
    Tenant,
    describe_properties,
)

MAX_PERIOD_DAYS = 3650
EDITABLE = (
    "name",
    "is_active",
    "trigger",
    "schema",
    "property_name",
    "operator",
    "condition_value",
    "entry_rule",
    "entry_period_days",
    "actions",
)


@dataclass(frozen=True)
class ConditionProperty:
    """What a condition's property is: its type and format, and whether it is a field of the
    interaction's product (``product.brand``, …) rather than of its payload."""

    type: str
    format: str | None = None
    product_field: bool = False


def condition_property(
    schema: InteractionSchema, name: str, value: Any = None
) -> ConditionProperty | None:
    """The property ``name`` of a schema's interactions, or None if there is no such property.

    A schema's own property comes first; a schema with ``productSku`` also has the product
    fields, an attribute taking the type of the condition's ``value``."""
    described = describe_properties(schema.json_schema)
    for prop in described:
        if prop.name == name:
            return ConditionProperty(prop.type, prop.format)
    product_type = product_field_type(name, value)
    if product_type and any(prop.name == RESERVED_PRODUCT_SKU for prop in described):
        return ConditionProperty(product_type, None, product_field=True)
    return None


def _unknown_property(schema: InteractionSchema, name: str) -> Problem:
    has_sku = any(
        prop.name == RESERVED_PRODUCT_SKU for prop in describe_properties(schema.json_schema)
    )
    if product_field_type(name, None) and not has_sku:
        return Problem(
            "property",
            "invalid",
            f"product fields apply to schemas with {RESERVED_PRODUCT_SKU}; the schema {schema} "
            "has none",
        )
    if has_sku:
        return Problem(
            "property",
            "invalid",
            f"must be a property of the schema {schema} or a product field "
            f"({', '.join(PRODUCT_FIELD_NAMES)})",
        )
    return Problem("property", "invalid", f"must be a property of the schema {schema}")


def automation_problems(
    automation: Automation, *, schemas: Sequence[InteractionSchema]
) -> list[Problem]:
    problems: list[Problem] = []
    if not automation.name.strip():
        problems.append(Problem("name", "required", "must be a non-empty string"))
    elif len(automation.name) > 200:
        problems.append(Problem("name", "maxLength", "must be at most 200 characters"))
    if automation.trigger not in Automation.Trigger.values:
        problems.append(
            Problem("trigger", "enum", "must be one of " + ", ".join(Automation.Trigger.values))
        )
    if automation.entry_rule not in Automation.EntryRule.values:
        problems.append(
            Problem("entryRule", "enum", "must be one of " + ", ".join(Automation.EntryRule.values))
        )
    for chosen in schemas:
        if chosen.tenant_id != automation.tenant_id or chosen.deleted_at is not None:
            problems.append(Problem("schemaIds", "invalid", f"names an unknown schema ({chosen})"))
    if automation.trigger == Automation.Trigger.SPECIFIC_INTERACTION:
        schema = automation.schema
        if schema is None or schema.tenant_id != automation.tenant_id or schema.deleted_at:
            problems.append(Problem("schemaId", "required", "must name one of your schemas"))
        else:
            described = condition_property(
                schema, automation.property_name, automation.condition_value
            )
            if described is None:
                problems.append(_unknown_property(schema, automation.property_name))
            else:
                problems += condition_problems(
                    operator=automation.operator,
                    value=automation.condition_value,
                    property_type=described.type,
                    property_format=described.format,
                )
    elif automation.entry_rule == Automation.EntryRule.ONCE_PER_VALUE:
        problems.append(
            Problem("entryRule", "invalid", "once per value needs a specific-interaction trigger")
        )
    if automation.entry_rule == Automation.EntryRule.EVERY_N_DAYS:
        days = automation.entry_period_days
        if not isinstance(days, int) or not 1 <= days <= MAX_PERIOD_DAYS:
            problems.append(
                Problem("entryPeriodDays", "minimum", f"must be from 1 to {MAX_PERIOD_DAYS} days")
            )
    return problems + action_problems(automation.actions, policy=webhook_policy())


def _normalise(automation: Automation) -> None:
    if automation.trigger != Automation.Trigger.SPECIFIC_INTERACTION:
        automation.schema = None
        automation.property_name = ""
        automation.operator = ""
        automation.condition_value = None
    if automation.entry_rule != Automation.EntryRule.EVERY_N_DAYS:
        automation.entry_period_days = None


@transaction.atomic
def automation_create(
    *, tenant: Tenant, schemas: Sequence[InteractionSchema] = (), **fields: Any
) -> Automation:
    """Make an automation from the ``EDITABLE`` fields; raises InvalidRequest with every problem.

    ``schemas`` are the schemas a "new interaction" trigger is limited to (none: any schema).
    """
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    automation = Automation(tenant=tenant, **fields)
    problems = automation_problems(automation, schemas=schemas)
    if problems:
        raise InvalidRequest("The automation is not valid.", errors=problems)
    _normalise(automation)
    now = timezone.now()
    automation.created_at = automation.updated_at = now
    automation.active_since = now if automation.is_active else None
    automation.flagged_reason = ""
    automation.full_clean(exclude=["schemas"])
    automation.save(force_insert=True)
    is_new_trigger = automation.trigger == Automation.Trigger.NEW_INTERACTION
    automation.schemas.set(schemas if is_new_trigger else [])
    return automation


@transaction.atomic
def automation_update(
    *,
    automation: Automation,
    schemas: Sequence[InteractionSchema] | None = None,
    **changes: Any,
) -> Automation:
    """Change the given ``EDITABLE`` fields. Activating sets ``active_since`` to now (interactions
    received while it was off never fire) and clears a flag; the claims already made stay."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    was_active = automation.is_active
    for name, value in changes.items():
        setattr(automation, name, value)
    chosen = list(automation.schemas.all()) if schemas is None else list(schemas)
    problems = automation_problems(automation, schemas=chosen)
    if problems:
        raise InvalidRequest("The automation is not valid.", errors=problems)
    _normalise(automation)
    now = timezone.now()
    if automation.is_active and not was_active:
        automation.active_since = now
        automation.flagged_reason = ""
    automation.updated_at = now
    automation.full_clean(exclude=["schemas"])
    automation.save(update_fields=[*EDITABLE, "active_since", "flagged_reason", "updated_at"])
    is_new_trigger = automation.trigger == Automation.Trigger.NEW_INTERACTION
    automation.schemas.set(chosen if is_new_trigger else [])
    return automation


@transaction.atomic
def automation_delete(*, automation: Automation) -> None:
    automation.delete()


@dataclass(frozen=True)
class RotatedSecret:
    """The new secret, and until when the previous one also signs (None: it no longer does)."""

    secret: str
    previous_expires_at: datetime | None


@transaction.atomic
def automation_secret_rotate(*, automation: Automation) -> RotatedSecret:
    """Sign from now on under a new secret, and under the replaced one too for the grace period
    (``AUTOMATIONS_WEBHOOK_SECRET_GRACE_HOURS``), so receivers can switch without dropping
    deliveries. A second rotation within the grace period ends the first one's overlap. The
    deprecated header is keyed with the new secret from now on."""
    now = timezone.now()
    grace = timedelta(hours=settings.AUTOMATIONS_WEBHOOK_SECRET_GRACE_HOURS)
    expires = now + grace if grace > timedelta(0) else None
    automation.previous_webhook_secret = automation.webhook_secret if expires else ""
    automation.previous_webhook_secret_expires_at = expires
    automation.webhook_secret = new_webhook_secret()
    automation.legacy_webhook_secret = ""
    automation.updated_at = now
    automation.save(
        update_fields=[
            "webhook_secret",
            "previous_webhook_secret",
            "previous_webhook_secret_expires_at",
            "legacy_webhook_secret",
            "updated_at",
        ]
    )
    return RotatedSecret(secret=automation.webhook_secret, previous_expires_at=expires)


def automations_on_schema_deleted(*, tenant: Tenant, schema: InteractionSchema) -> None:
    """Hook: switch off and flag the automations that use a deleted schema (not delete them)."""
    uses = Automation.objects.filter(tenant=tenant, schema=schema) | Automation.objects.filter(
        tenant=tenant, schemas=schema
    )
    Automation.objects.filter(pk__in=uses.values("pk")).update(
        is_active=False,
        flagged_reason=f"Its interaction schema {schema.schema_id} was deleted.",
        updated_at=timezone.now(),
    )


def automations_on_contact_erased(*, tenant: Tenant, contact: Contact) -> None:
    """Hook: erase the contact's runs and their attempt logs."""
    AutomationRun.objects.filter(tenant=tenant, contact=contact).delete()

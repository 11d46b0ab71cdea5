"""Claiming runs from interaction events, and starting them.

The path of a run, and why it happens once:

1. The core commits an interaction with its "received" event (the outbox).
2. The dispatcher hands events to :func:`automations_handle_events` inside its transaction. Each
   match becomes a claim: an insert of ``(automation, contact, claim_key)`` that does nothing on
   conflict, so a repeated event or a racing dispatcher can't make a second run. A condition on
   a product field is judged on the product the interaction's ``productSku`` names, read then
   (one query per tenant of the batch, only when such a condition applies to its schema).
3. After commit the claimed runs are sent to Celery; :func:`automation_runs_relay` (periodic)
   re-sends any pending run whose ``due_at`` has passed, so a lost message or a dead worker only
   delays a run.
4. :func:`automation_run_execute` takes a lease on the run with a conditional update (two workers
   can't execute it at once), runs the remaining actions in order, and records each attempt.
   Every delivery of a run carries its id, so a receiver can drop the repeats that at-least-once
   delivery allows. After ``AUTOMATIONS_MAX_ATTEMPTS`` failures of an action the run ends failed.
"""

import hashlib
import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from automations.models import Automation, AutomationRun
from automations.services.automations import condition_property
from automations.services.relay import runs_enqueue
from automations.services.runs import automation_run_execute
from automations.triggers import TriggerSpec, interaction_matches, product_value, value_key
from interactions.public import (
    RESERVED_PRODUCT_SKU,
    Interaction,
    InteractionEvent,
    product_representation,
    products_by_sku,
)

logger = logging.getLogger(__name__)


def trigger_spec(automation: Automation) -> TriggerSpec:
    """The pure trigger of an automation (reads ``schemas`` and ``schema``: prefetch them)."""
    if automation.trigger == Automation.Trigger.NEW_INTERACTION:
        return TriggerSpec(
            kind=automation.trigger,
            schema_pks=frozenset(schema.pk for schema in automation.schemas.all()),
        )
    schema = automation.schema
    value = automation.condition_value
    described = condition_property(schema, automation.property_name, value) if schema else None
    return TriggerSpec(
        kind=automation.trigger,
        schema_pk=schema.pk if schema else None,
        property_name=automation.property_name,
        property_type=described.type if described else "string",
        property_format=described.format if described else None,
        operator=automation.operator,
        value=value,
        product_field=bool(described and described.product_field),
    )


def _sku(interaction: Interaction) -> str | None:
    sku = interaction.payload.get(RESERVED_PRODUCT_SKU)
    return sku if isinstance(sku, str) else None


def _products(
    interactions: Sequence[Interaction], specs_by_tenant: dict[int, list[TriggerSpec]]
) -> dict[tuple[int, str], dict[str, Any]]:
    """The products (wire shape, by tenant and SKU) of the interactions a product condition
    judges: one query per tenant of the batch that has one, none when no condition names a
    product field of the interaction's schema."""
    wanted: dict[int, set[str]] = defaultdict(set)
    for interaction in interactions:
        sku = _sku(interaction)
        judged = any(
            spec.product_field and spec.schema_pk == interaction.schema_id
            for spec in specs_by_tenant.get(interaction.tenant_id, ())
        )
        if sku and judged:
            wanted[interaction.tenant_id].add(sku)
    return {
        (tenant_id, sku): product_representation(product)
        for tenant_id, skus in wanted.items()
        for sku, product in products_by_sku(tenant_id=tenant_id, skus=skus).items()
    }


def claim_key(automation: Automation, interaction: Interaction, *, value: Any) -> str | None:
    """The key that makes this run unique for its entry rule, or None if the rule keeps the
    contact out.

    "Once per contact per value" keys on ``value``, the value of the condition's property: the
    payload's, or for a product field the product's when the trigger was judged (its brand, its
    price, its whole category path, …).

    "Every N days" chains each run to the one before it (``after:<previous run id>``): two
    claimers that see the same last run compute the same key, so only one of them gets in.
    """
    rule = automation.entry_rule
    if rule == Automation.EntryRule.ONCE:
        return "once"
    if rule == Automation.EntryRule.EVERY_TIME:
        return f"interaction:{interaction.pk.hex}"
    if rule == Automation.EntryRule.ONCE_PER_VALUE:
        return "value:" + hashlib.sha256(value_key(value).encode()).hexdigest()[:64]
    last = (
        AutomationRun.objects.filter(automation=automation, contact_id=interaction.contact_id)
        .order_by("-interaction_received_at", "-created_at")
        .only("pk", "interaction_received_at")
        .first()
    )
    if last is None:
        return "after:first"
    period = timedelta(days=automation.entry_period_days or 1)
    if interaction.received_at < last.interaction_received_at + period:
        return None
    return f"after:{last.pk.hex}"


def automations_handle_events(events: Sequence[InteractionEvent]) -> None:
    """Subscriber of the core's outbox: claim a run for every active automation each newly
    received interaction matches. Idempotent: a batch handed over twice claims nothing new."""
    received = [
        event
        for event in events
        # Bulk imports update segments but fire nothing.
        if event.kind == InteractionEvent.Kind.RECEIVED
        and event.source != InteractionEvent.Source.IMPORT
    ]
    if not received:
        return
    by_tenant: dict[int, list[Automation]] = defaultdict(list)
    for automation in (
        Automation.objects.filter(
            tenant_id__in={event.tenant_id for event in received}, is_active=True
        )
        .select_related("schema")
        .prefetch_related("schemas")
    ):
        by_tenant[automation.tenant_id].append(automation)
    if not by_tenant:
        return
    interactions = {
        interaction.pk: interaction
        for interaction in Interaction.objects.filter(
            pk__in=[event.interaction_id for event in received if event.tenant_id in by_tenant]
        ).only("id", "tenant_id", "contact_id", "schema_id", "payload", "received_at")
    }
    specs = {
        automation.pk: trigger_spec(automation)
        for group in by_tenant.values()
        for automation in group
    }
    products = _products(
        list(interactions.values()),
        {
            tenant_id: [specs[automation.pk] for automation in group]
            for tenant_id, group in by_tenant.items()
        },
    )
    now = timezone.now()
    due = now + timedelta(seconds=settings.AUTOMATIONS_LEASE_SECONDS)
    claims: dict[tuple[int, Any, str], AutomationRun] = {}
    for event in received:
        # None: deleted before its event was handed over (received events always name one).
        interaction = interactions.get(event.interaction_id) if event.interaction_id else None
        if interaction is None:
            continue
        for automation in by_tenant.get(event.tenant_id, ()):
            if automation.active_since and interaction.received_at < automation.active_since:
                continue
            spec = specs[automation.pk]
            sku = _sku(interaction) if spec.product_field else None
            product = products.get((interaction.tenant_id, sku)) if sku else None
            matched = interaction_matches(
                spec, schema_pk=interaction.schema_id, payload=interaction.payload, product=product
            )
            if not matched:
                continue
            value = (
                product_value(product, spec.property_name)
                if spec.product_field
                else interaction.payload.get(spec.property_name)
            )
            key = claim_key(automation, interaction, value=value)
            if key is None:
                continue
            claims.setdefault(
                (automation.pk, interaction.contact_id, key),
                AutomationRun(
                    tenant_id=automation.tenant_id,
                    automation=automation,
                    contact_id=interaction.contact_id,
                    interaction_id=interaction.pk,
                    interaction_received_at=interaction.received_at,
                    claim_key=key,
                    created_at=now,
                    due_at=due,
                ),
            )
    if not claims:
        return
    candidates = list(claims.values())
    # INSERT … ON CONFLICT DO NOTHING: the loser of a race inserts nothing.
    AutomationRun.objects.bulk_create(candidates, ignore_conflicts=True)
    won = list(
        AutomationRun.objects.filter(pk__in=[run.pk for run in candidates]).values_list(
            "pk", flat=True
        )
    )
    if won:
        transaction.on_commit(lambda: runs_start([str(pk) for pk in won]))


# A worker that just claimed this few runs executes them itself (one task hop less per run);
# more are spread over the workers.
INLINE_RUNS = 4


def runs_start(run_ids: Sequence[str]) -> None:
    """Start freshly claimed runs: in this worker when there are few, else through the queue.

    Either way a run that does not finish stays due for the relay, so nothing is lost if this
    process dies here.
    """
    from celery import current_task

    # current_task is a proxy, never None itself: it is falsy outside a task.
    in_worker = bool(current_task) and not current_task.request.is_eager
    if not in_worker or len(run_ids) > INLINE_RUNS:
        runs_enqueue(run_ids)
        return
    from automations.tasks import automation_run_execute_task

    for run_id in run_ids:
        result = automation_run_execute(run_id=run_id)
        if result.retry_in is not None:
            automation_run_execute_task.apply_async((run_id,), countdown=result.retry_in)

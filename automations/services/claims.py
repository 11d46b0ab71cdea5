"""Claiming runs from interaction events, and starting them.

The path of a run, and why it happens once:

1. The core commits an interaction with its "received" event (the outbox).
2. The dispatcher hands events to :func:`automations_handle_events` inside its transaction. Each
   match becomes a claim: an insert of ``(automation, contact, claim_key)`` that does nothing on
   conflict, so a repeated event or a racing dispatcher can't make a second run.
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
from automations.services.automations import property_description
from automations.services.relay import runs_enqueue
from automations.services.runs import automation_run_execute
from automations.triggers import TriggerSpec, interaction_matches, value_key
from interactions.public import Interaction, InteractionEvent

logger = logging.getLogger(__name__)


def trigger_spec(automation: Automation) -> TriggerSpec:
    """The pure trigger of an automation (reads ``schemas`` and ``schema``: prefetch them)."""
    if automation.trigger == Automation.Trigger.NEW_INTERACTION:
        return TriggerSpec(
            kind=automation.trigger,
            schema_pks=frozenset(schema.pk for schema in automation.schemas.all()),
        )
    schema = automation.schema
    described = property_description(schema, automation.property_name) if schema else None
    property_type, property_format = described or ("string", None)
    return TriggerSpec(
        kind=automation.trigger,
        schema_pk=schema.pk if schema else None,
        property_name=automation.property_name,
        property_type=property_type,
        property_format=property_format,
        operator=automation.operator,
        value=automation.condition_value,
    )


def claim_key(automation: Automation, interaction: Interaction) -> str | None:
    """The key that makes this run unique for its entry rule, or None if the rule keeps the
    contact out.

    "Every N days" chains each run to the one before it (``after:<previous run id>``): two
    claimers that see the same last run compute the same key, so only one of them gets in.
    """
    rule = automation.entry_rule
    if rule == Automation.EntryRule.ONCE:
        return "once"
    if rule == Automation.EntryRule.EVERY_TIME:
        return f"interaction:{interaction.pk.hex}"
    if rule == Automation.EntryRule.ONCE_PER_VALUE:
        value = interaction.payload.get(automation.property_name)
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
            matched = interaction_matches(
                specs[automation.pk], schema_pk=interaction.schema_id, payload=interaction.payload
            )
            if not matched:
                continue
            key = claim_key(automation, interaction)
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

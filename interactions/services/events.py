"""The "interaction received" outbox: writing events with interactions, and handing them over.

``interaction_event_record`` is called inside the transaction that stores or deletes an
interaction. ``interaction_events_dispatch`` (a Celery task after each commit, and a periodic
sweep) hands undispatched events to the subscribers registered in ``interactions.extensions``;
an event a subscriber raises on is retried and, in the end, parked on its own
(``interactions.services.event_deliveries``).
"""

import logging
from collections.abc import Sequence

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from engage_site.hints import hint_send, hints_pause, hints_paused
from interactions.extensions import event_subscribers
from interactions.models import Interaction, InteractionEvent
from interactions.services.event_deliveries import events_hand_over

logger = logging.getLogger(__name__)

DISPATCH_PENDING = "interaction-events:dispatch-pending"
DISPATCH_PENDING_SECONDS = 2


def interaction_event_record(
    *,
    interaction: Interaction,
    kind: str,
    source: InteractionEvent.Source = InteractionEvent.Source.API,
) -> None:
    """Write the event; call inside the transaction that writes ``interaction``, saying where it
    came from (``source``). A no-op while no app subscribes, so the core alone pays nothing for
    the outbox."""
    event = interaction_event_new(interaction=interaction, kind=kind, source=source)
    if event is not None:
        event.save(force_insert=True)
        interaction_events_recorded()


def interaction_event_new(
    *,
    interaction: Interaction,
    kind: str,
    source: InteractionEvent.Source = InteractionEvent.Source.API,
) -> InteractionEvent | None:
    """The event ``interaction_event_record`` would write, unsaved, or None while no app
    subscribes; for a caller that inserts it together with other rows (then call
    ``interaction_events_recorded`` in the same transaction)."""
    if not event_subscribers():
        return None
    return InteractionEvent(
        tenant_id=interaction.tenant_id,
        kind=kind,
        interaction_id=interaction.pk,
        contact_id=interaction.contact_id,
        schema_pk=interaction.schema_id,
        source=source,
    )


def interaction_events_recorded() -> None:
    """Hint a dispatch after the current transaction commits; call after writing events."""
    # Robust: whatever goes wrong there, the request still succeeds (the interaction is
    # committed); the periodic sweep dispatches the event.
    transaction.on_commit(interaction_events_dispatch_soon, robust=True)


def interaction_events_dispatch_soon() -> None:
    """Enqueue a dispatch unless one is already waiting to start.

    A hint (``engage_site.hints``): it never holds up the request that committed the events, and
    with the broker or the cache unreachable it is skipped (for a few seconds after a failure);
    the periodic sweep then dispatches the events.

    Under load most requests find one waiting and skip the enqueue (one cache write instead of a
    broker round trip), and the dispatcher hands over big batches. No event is left behind: the
    dispatcher clears the flag *before* it reads its batch, so an event committed after that read
    finds the flag clear and enqueues a new dispatch. The flag expires on its own in case a
    dispatch task is lost; the periodic sweep covers that case too.
    """
    from interactions.tasks import interaction_events_dispatch_task  # tasks import this module

    if hints_paused():
        return
    try:
        waiting = not cache.add(DISPATCH_PENDING, 1, timeout=DISPATCH_PENDING_SECONDS)
    except Exception as error:  # the cache is the broker's Redis in production
        hints_pause(f"Cache unreachable ({type(error).__name__}: {error})")
        return
    if not waiting:
        hint_send(interaction_events_dispatch_task)


def interaction_events_dispatch_started() -> None:
    """Called by a dispatch as it starts, before it reads any event (see above)."""
    try:
        cache.delete(DISPATCH_PENDING)
    except Exception:
        logger.warning("Cache unreachable; dispatch flag left to expire", exc_info=True)


def interaction_events_dispatch(*, limit: int = 500) -> int:
    """Hand up to ``limit`` undispatched events to every subscriber; returns how many.

    The batch is claimed with SKIP LOCKED (where the database has it), handed to each subscriber
    inside the same transaction, and marked dispatched with it, so two dispatchers never hand over
    the same event at once. A subscriber raising on some events neither rolls the batch back nor
    holds up the other subscribers: each subscriber's share is handed over in savepoints, and the
    events it raised on are kept for retries with their error (``event_deliveries``).
    """
    with transaction.atomic():
        batch: Sequence[InteractionEvent] = list(
            InteractionEvent.objects.select_for_update(skip_locked=True)
            .filter(dispatched_at__isnull=True)
            .order_by("id")[:limit]
        )
        if not batch:
            return 0
        for subscriber in event_subscribers():
            events_hand_over(subscriber=subscriber, events=batch)
        InteractionEvent.objects.filter(pk__in=[event.pk for event in batch]).update(
            dispatched_at=timezone.now()
        )
    return len(batch)

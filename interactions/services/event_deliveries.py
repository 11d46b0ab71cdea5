"""Failure isolation for the event dispatcher: one subscriber raising on one event never holds up
the other events, the other subscribers or the other tenants.

How a batch is handed to a subscriber (:func:`events_hand_over`, inside the dispatcher's
transaction):

- The whole batch is tried first, in a savepoint. When the subscriber raises, the savepoint is
  rolled back and the batch is split in halves, each tried the same way, in order, down to single
  events: the good events are handed over in a few calls and the poison ones are found.
- A failed event becomes an :class:`EventDelivery` row (``retrying``) with its error, its attempt
  count and the time of its next attempt (exponential back-off, ``EVENT_RETRY_BASE_SECONDS``).
- Per-contact order, which the subscribers rely on (automations' "every N days" entry rule chains
  a contact's runs in the order of its interactions): a contact's later events wait (``waiting``)
  behind its failed one for that subscriber, and are handed over, in order, once it goes through
  or is parked. Other contacts' events keep their usual timing.

:func:`event_deliveries_retry` (run by the dispatch task) tries due deliveries again. After
``EVENT_MAX_ATTEMPTS`` failures a delivery is *parked*: logged, and kept for the tenant's admins,
who can replay it once the cause is fixed (:func:`event_delivery_replay`).
"""

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from interactions.exceptions import EventDeliveryNotReplayable
from interactions.extensions import Hook, event_subscribers
from interactions.models import EventDelivery, InteractionEvent, Tenant

logger = logging.getLogger(__name__)

MAX_RETRY_SECONDS = 3600
ERROR_MAX_CHARS = 2000
# Delivered rows are kept this long, so that a replay's outcome can still be read.
DELIVERED_KEPT = timedelta(days=1)

Status = EventDelivery.Status
OPEN = (Status.RETRYING, Status.WAITING)


def subscriber_name(subscriber: Hook) -> str:
    """The dotted name a subscriber is known by in deliveries (stable across processes)."""
    named = subscriber if hasattr(subscriber, "__qualname__") else type(subscriber)
    return f"{named.__module__}.{named.__qualname__}"


def retry_delay(attempts: int) -> timedelta:
    """How long after its ``attempts``-th failure an event is tried again: the base, then twice
    as long each time, up to an hour."""
    seconds = settings.EVENT_RETRY_BASE_SECONDS * 2 ** min(attempts - 1, 20)
    return timedelta(seconds=min(seconds, MAX_RETRY_SECONDS))


def _error_text(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}"
    if len(text) > ERROR_MAX_CHARS:
        text = text[: ERROR_MAX_CHARS - 1] + "…"
    return text


def _attempt(subscriber: Hook, events: Sequence[InteractionEvent]) -> Exception | None:
    """Hand ``events`` over in a savepoint; the error it raised (its writes undone), or None."""
    try:
        with transaction.atomic():
            subscriber(list(events))
    except Exception as error:
        return error
    return None


# --- In the dispatcher --------------------------------------------------------------------------


@dataclass
class _Batch:
    """One subscriber's share of a dispatch: its name, when, and the contacts held back."""

    subscriber: Hook
    name: str
    now: datetime
    held: set[Any]
    failed: int = 0


def events_hand_over(*, subscriber: Hook, events: Sequence[InteractionEvent]) -> int:
    """Hand ``events`` (in commit order) to ``subscriber``, isolating the events it raises on (see
    the module docstring); returns how many failed. Call inside the dispatcher's transaction."""
    name = subscriber_name(subscriber)
    held = set(
        EventDelivery.objects.filter(
            subscriber=name,
            status__in=OPEN,
            contact_id__in={event.contact_id for event in events},
        ).values_list("contact_id", flat=True)
    )
    batch = _Batch(subscriber=subscriber, name=name, now=timezone.now(), held=held)
    _deliver(batch, events)
    return batch.failed


def _deliver(batch: _Batch, events: Sequence[InteractionEvent]) -> None:
    ready = []
    for event in events:
        if event.contact_id in batch.held:
            _delivery_new(batch, event, status=Status.WAITING)
        else:
            ready.append(event)
    if not ready:
        return
    error = _attempt(batch.subscriber, ready)
    if error is None:
        return
    if len(ready) > 1:
        middle = len(ready) // 2
        _deliver(batch, ready[:middle])
        _deliver(batch, ready[middle:])  # after the first half: a failure there holds its contact
        return
    event = ready[0]
    delivery = _delivery_new(batch, event, status=Status.RETRYING)
    _failure_record(delivery, error, now=batch.now)
    batch.held.add(event.contact_id)
    batch.failed += 1


def _delivery_new(batch: _Batch, event: InteractionEvent, *, status: str) -> EventDelivery:
    return EventDelivery.objects.create(
        tenant_id=event.tenant_id,
        subscriber=batch.name,
        status=status,
        next_attempt_at=batch.now if status == Status.RETRYING else None,
        event_id=event.pk,
        kind=event.kind,
        source=event.source,
        interaction_id=event.interaction_id,
        contact_id=event.contact_id,
        schema_pk=event.schema_pk,
        event_created_at=event.created_at,
        created_at=batch.now,
        updated_at=batch.now,
    )


def _failure_record(delivery: EventDelivery, error: Exception, *, now: datetime) -> None:
    """Count a failed attempt: retry later with back-off, or park after the last attempt."""
    delivery.attempts += 1
    delivery.last_error = _error_text(error)
    delivery.updated_at = now
    if delivery.attempts >= settings.EVENT_MAX_ATTEMPTS:
        delivery.status = Status.PARKED
        delivery.next_attempt_at = None
        logger.error(
            "Event %s of tenant %s parked for subscriber %s after %s attempts: %s",
            delivery.event_id,
            delivery.tenant_id,
            delivery.subscriber,
            delivery.attempts,
            delivery.last_error,
            exc_info=error,
        )
    else:
        delivery.status = Status.RETRYING
        delivery.next_attempt_at = now + retry_delay(delivery.attempts)
        logger.warning(
            "Event %s of tenant %s failed in subscriber %s (attempt %s of %s, next at %s): %s",
            delivery.event_id,
            delivery.tenant_id,
            delivery.subscriber,
            delivery.attempts,
            settings.EVENT_MAX_ATTEMPTS,
            delivery.next_attempt_at.isoformat(),
            delivery.last_error,
            exc_info=error,
        )
    delivery.save(
        update_fields=["attempts", "last_error", "status", "next_attempt_at", "updated_at"]
    )


def _delivered(delivery: EventDelivery, *, now: datetime) -> None:
    delivery.status = Status.DELIVERED
    delivery.next_attempt_at = None
    delivery.updated_at = now
    delivery.save(update_fields=["status", "next_attempt_at", "updated_at"])


# --- Retries ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetryCounts:
    delivered: int = 0
    retrying: int = 0
    parked: int = 0


def event_deliveries_retry(*, limit: int = 100) -> RetryCounts:
    """Try again the deliveries whose next attempt is due (and the events waiting behind them);
    returns how many went through, failed again, and were parked. Deliveries claimed by another
    retry pass are skipped."""
    now = timezone.now()
    subscribers = {subscriber_name(subscriber): subscriber for subscriber in event_subscribers()}
    counts: dict[str, int] = {Status.DELIVERED: 0, Status.RETRYING: 0, Status.PARKED: 0}
    with transaction.atomic():
        open_head = EventDelivery.objects.filter(
            subscriber=OuterRef("subscriber"),
            contact_id=OuterRef("contact_id"),
            status=Status.RETRYING,
        )
        due = EventDelivery.objects.filter(status=Status.RETRYING, next_attempt_at__lte=now)
        # Left behind when a dispatch queued them while a retry emptied their contact's queue.
        orphans = EventDelivery.objects.filter(status=Status.WAITING).exclude(Exists(open_head))
        heads = list(
            (due | orphans)
            .select_for_update(skip_locked=True)
            .order_by("event_id")
            .values_list("subscriber", "contact_id")[:limit]
        )
        for name, contact_id in dict.fromkeys(heads):
            subscriber = subscribers.get(name)
            queue = _queue(name, contact_id)
            if subscriber is None:
                queue = queue[:1]
                error: Exception = LookupError(f"the subscriber {name} is no longer registered")
                for delivery in queue:
                    _failure_record(delivery, error, now=now)
                    counts[delivery.status] += 1
                continue
            for delivery in _advance(subscriber, queue, now=now):
                counts[delivery.status] += 1
        EventDelivery.objects.filter(
            status=Status.DELIVERED, updated_at__lt=now - DELIVERED_KEPT
        ).delete()
    result = RetryCounts(
        delivered=counts[Status.DELIVERED],
        retrying=counts[Status.RETRYING],
        parked=counts[Status.PARKED],
    )
    if result != RetryCounts():
        logger.info("Event delivery retries: %s", result)
    return result


def _queue(name: str, contact_id: Any) -> list[EventDelivery]:
    """A contact's open deliveries for one subscriber, oldest event first, locked."""
    return list(
        EventDelivery.objects.select_for_update()
        .filter(subscriber=name, contact_id=contact_id, status__in=OPEN)
        .order_by("event_id")
    )


def _advance(
    subscriber: Hook, queue: Iterable[EventDelivery], *, now: datetime
) -> list[EventDelivery]:
    """Hand a contact's queue over in order, until an event fails and is to be retried (the
    rest keep waiting behind it); returns the deliveries tried."""
    tried = []
    for delivery in queue:
        tried.append(delivery)
        error = _attempt(subscriber, [delivery.as_event()])
        if error is None:
            _delivered(delivery, now=now)
            continue
        _failure_record(delivery, error, now=now)
        if delivery.status == Status.RETRYING:
            break
    return tried


# --- Replays ------------------------------------------------------------------------------------


@transaction.atomic
def event_delivery_replay(*, tenant: Tenant, delivery: EventDelivery) -> EventDelivery:
    """Hand a failed or parked event to its subscriber again (once its cause is fixed): it is
    due at once, and a dispatch is asked for after the commit. Returns the delivery, ``retrying``.

    The subscriber runs in the background as always, never in the caller's request. A parked
    event gets one more attempt (parked again, with the new error, if it fails); a retrying one
    is just tried now. An event waiting behind another can't be replayed on its own: that would
    break its contact's order.
    """
    locked = EventDelivery.objects.select_for_update().filter(tenant=tenant, pk=delivery.pk).first()
    if locked is None or locked.status == Status.DELIVERED:
        raise EventDeliveryNotReplayable("This event has been delivered already.")
    if locked.status == Status.WAITING:
        raise EventDeliveryNotReplayable(
            "This event waits behind an earlier event of the same contact; replay that one."
        )
    if locked.subscriber not in {subscriber_name(hook) for hook in event_subscribers()}:
        raise EventDeliveryNotReplayable(
            f"The subscriber {locked.subscriber} is no longer registered."
        )
    now = timezone.now()
    if locked.status == Status.PARKED:
        logger.info(
            "Event %s of tenant %s replayed to subscriber %s",
            locked.event_id,
            locked.tenant_id,
            locked.subscriber,
        )
    locked.status = Status.RETRYING
    locked.next_attempt_at = now
    locked.updated_at = now
    locked.save(update_fields=["status", "next_attempt_at", "updated_at"])
    # Imported here: events imports this module.
    from interactions.services.events import interaction_events_dispatch_soon

    transaction.on_commit(interaction_events_dispatch_soon, robust=True)
    return locked

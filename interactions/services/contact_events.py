"""Contact events: a contact created, changed (its attributes or its tags) or deleted, written to
the same outbox as interaction events (``interactions.services.events``) in the transaction that
makes the change, so that segments follow contact-side changes as soon as interaction ones.

Subscribers tell them apart by ``kind``; a contact event names no interaction and no schema.
"""

import uuid
from collections.abc import Iterable

from interactions.extensions import event_subscribers
from interactions.models import Contact, InteractionEvent
from interactions.services.events import interaction_events_recorded

Kind = InteractionEvent.Kind


def contact_event_record(*, contact: Contact, kind: InteractionEvent.Kind) -> None:
    """Write the event of one contact; call inside the transaction that changes it."""
    contact_events_record(tenant_id=contact.tenant_id, contact_ids=[contact.pk], kind=kind)


def contact_events_record(
    *, tenant_id: int, contact_ids: Iterable[uuid.UUID], kind: InteractionEvent.Kind
) -> None:
    """Write one event per contact (a tag renamed or deleted touches all who wear it); call inside
    the transaction that changes them. A no-op while no app subscribes, as for interactions."""
    if not event_subscribers():
        return
    events = [
        InteractionEvent(tenant_id=tenant_id, kind=kind, contact_id=contact_id)
        for contact_id in contact_ids
    ]
    if not events:
        return
    InteractionEvent.objects.bulk_create(events, batch_size=1000)
    interaction_events_recorded()

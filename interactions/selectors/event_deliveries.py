"""Reads of a tenant's failed event deliveries (events a subscriber raised on)."""

import uuid
from collections.abc import Iterable

from django.db.models import QuerySet

from engage_site.db import one_or_none
from interactions.exceptions import EventDeliveryNotFound
from interactions.models import EventDelivery, Tenant

# What "failed" lists by default: everything not delivered yet.
FAILED_STATUSES = (
    EventDelivery.Status.RETRYING,
    EventDelivery.Status.WAITING,
    EventDelivery.Status.PARKED,
)


def event_deliveries_failed(
    *, tenant: Tenant, statuses: Iterable[str] = FAILED_STATUSES
) -> QuerySet[EventDelivery]:
    """The tenant's deliveries in ``statuses``, for keyset pages on ``(created_at, id)``."""
    return EventDelivery.objects.filter(tenant=tenant, status__in=list(statuses))


def event_delivery_get(*, tenant: Tenant, delivery_id: uuid.UUID) -> EventDelivery:
    delivery = one_or_none(EventDelivery.objects.filter(tenant=tenant, pk=delivery_id))
    if delivery is None:
        raise EventDeliveryNotFound()
    return delivery

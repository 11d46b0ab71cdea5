"""Background jobs of segments. Thin: each fetches rows by id and calls one service; each is safe
to run twice (membership writes are serialised per segment and recompute from the data)."""

import uuid

from celery import shared_task

from segments.models import Segment
from segments.services.membership import (
    segment_refresh_safely,
    segments_claim_due,
    segments_update_for_contacts,
)


@shared_task
def segment_refresh_task(tenant_id: int, segment_id: str) -> int | None:
    """A failed refresh is recorded on the segment and retried by the periodic job, with
    back-off (``next_refresh_at``); None then."""
    segment = Segment.objects.filter(tenant_id=tenant_id, pk=uuid.UUID(segment_id)).first()
    if segment is None:
        return 0
    return segment_refresh_safely(segment=segment)


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def segments_update_for_contacts_task(tenant_id: int, contact_ids: list[str]) -> int:
    return segments_update_for_contacts(
        tenant_id=tenant_id, contact_ids=[uuid.UUID(value) for value in contact_ids]
    )


@shared_task
def segments_refresh_due_task() -> int:
    """Periodic (celery beat): enqueue a refresh of every segment whose interval has passed."""
    claimed = segments_claim_due()
    for tenant_id, segment_id in claimed:
        segment_refresh_task.delay(tenant_id, str(segment_id))
    return len(claimed)

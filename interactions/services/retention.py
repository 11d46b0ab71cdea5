from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from interactions.models import IdempotencyRecord, InteractionEvent, RefusedInteraction
from interactions.services import raw_storage

_BATCH = 1000


def retention_purge() -> dict[str, int]:
    """Delete refused bodies past their retention and expired idempotency records."""
    cutoff = timezone.now() - timedelta(days=settings.REFUSED_RETENTION_DAYS)
    refused_deleted = 0
    while True:
        with transaction.atomic():
            batch = list(
                RefusedInteraction.objects.filter(received_at__lt=cutoff).values_list(
                    "id", "tenant_id"
                )[:_BATCH]
            )
            if not batch:
                break
            raw_storage.raw_copies_discard(
                paths=[
                    raw_storage.raw_copy_path(
                        tenant_id=tenant_id, kind=raw_storage.REFUSED, object_id=refused_id
                    )
                    for refused_id, tenant_id in batch
                ]
            )
            RefusedInteraction.objects.filter(pk__in=[pk for pk, _ in batch]).delete()
        refused_deleted += len(batch)
    events_deleted, _ = InteractionEvent.objects.filter(
        dispatched_at__lt=timezone.now() - timedelta(days=1)
    ).delete()
    idempotency_deleted, _ = IdempotencyRecord.objects.filter(
        expires_at__lte=timezone.now()
    ).delete()
    return {
        "refused": refused_deleted,
        "idempotency": idempotency_deleted,
        "events": events_deleted,
    }

"""Background jobs of the core. Thin: each calls one service, and each is safe to run twice."""

import logging

from celery import shared_task

from interactions.services import raw_storage
from interactions.services.event_deliveries import event_deliveries_retry
from interactions.services.events import (
    interaction_events_dispatch,
    interaction_events_dispatch_started,
)
from interactions.services.retention import retention_purge
from interactions.services.schemas import deleted_schemas_purge

logger = logging.getLogger(__name__)


@shared_task
def interaction_events_dispatch_task() -> int:
    """Hand pending events over until none are left (a burst becomes a few large batches), then
    retry the deliveries that failed and are due."""
    interaction_events_dispatch_started()
    total = 0
    while handed := interaction_events_dispatch():
        total += handed
    event_deliveries_retry()
    return total


@shared_task
def raw_copies_flush_task() -> int:
    return raw_storage.raw_copies_flush()


@shared_task
def blob_deletions_process_task() -> int:
    return raw_storage.blob_deletions_process()


@shared_task
def deleted_schemas_purge_task() -> int:
    return deleted_schemas_purge()


@shared_task
def retention_purge_task() -> dict[str, int]:
    purged = retention_purge()
    logger.info("Retention purge: %s", purged)
    return purged

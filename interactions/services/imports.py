"""Importing history from a file, chunk by chunk, resumable after an interruption.

Each chunk's interactions go through ``interactions_receive_many`` (the batch route's path) and the
file's ``ImportProgress`` moves to the chunk's last line in the same transaction, so a crash or a
SIGINT leaves either the whole chunk and its progress, or neither.
"""

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from interactions.models import ImportProgress, InteractionEvent, Tenant
from interactions.services.ingest import ItemResult, interactions_receive_many


class ImportRunning(Exception):
    """Another run is importing the same file for the same tenant (its progress moved under us)."""


def import_progress_start(
    *, tenant: Tenant, file_key: str, file_name: str, restart: bool = False
) -> ImportProgress:
    """The progress of this file for this tenant: where an earlier run stopped, or from the start
    for a file never imported (or with ``restart``, which imports it all again)."""
    progress, created = ImportProgress.objects.get_or_create(
        tenant=tenant, file_key=file_key, defaults={"file_name": file_name}
    )
    if restart and not created:
        now = timezone.now()
        progress.last_line = progress.accepted = progress.refused = 0
        progress.started_at = progress.updated_at = now
        progress.finished_at = None
    progress.file_name = file_name
    progress.save()
    return progress


def import_chunk_store(
    *,
    progress: ImportProgress,
    documents: Sequence[Any],
    bodies: Sequence[bytes],
    last_line: int,
    unparsed: int,
    received_at: datetime,
    fire_automations: bool,
    before_commit: Callable[[list[ItemResult]], None] | None = None,
) -> list[ItemResult]:
    """Store one chunk of the file (the lines up to ``last_line``; ``unparsed`` of them were not
    JSON and are counted as refused) and move the progress to ``last_line``, in one transaction.

    ``before_commit`` gets the results before the transaction commits (if it raises, nothing is
    stored). Raises ImportRunning, storing nothing, when another run moved the progress meanwhile.
    """
    source = InteractionEvent.Source.API if fire_automations else InteractionEvent.Source.IMPORT
    with transaction.atomic():
        results = interactions_receive_many(
            tenant=progress.tenant,
            documents=documents,
            bodies=bodies,
            received_at=received_at,
            source=source,
        )
        accepted = sum(1 for result in results if result.refusal is None)
        refused = len(results) - accepted + unparsed
        moved = ImportProgress.objects.filter(pk=progress.pk, last_line=progress.last_line).update(
            last_line=last_line,
            accepted=F("accepted") + accepted,
            refused=F("refused") + refused,
            updated_at=timezone.now(),
        )
        if not moved:
            raise ImportRunning(f"another run is importing {progress.file_name}")
        if before_commit is not None:
            before_commit(results)
    progress.last_line = last_line
    progress.accepted += accepted
    progress.refused += refused
    return results


def import_progress_finish(*, progress: ImportProgress) -> None:
    progress.finished_at = timezone.now()
    ImportProgress.objects.filter(pk=progress.pk).update(finished_at=progress.finished_at)

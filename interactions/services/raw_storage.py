"""Raw copies: the exact body of every interaction POST that was accepted or refused.

A body is first written to the database (``PendingRawCopy``) in the same transaction as the row it
belongs to, so one commit makes both durable; ``raw_copies_flush`` then moves it to blob storage
(Django's storage API: local disk or S3-compatible). Reads look in both places. Deletions are
recorded as ``BlobDeletion`` rows in the deleting transaction and carried out afterwards, so a
storage outage delays them but never loses them.
"""

import logging
import uuid
from collections.abc import Iterable

from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from engage_site.db import rows_copy_in
from interactions.models import BlobDeletion, PendingRawCopy

logger = logging.getLogger(__name__)

INTERACTIONS = "interactions"
REFUSED = "refused"
_BATCH = 500
# Uploads happen while the batch's rows are locked (on SQLite: while the database's write lock is
# held), so batches stay small to keep writers from waiting long.
_FLUSH_BATCH = 25


class RawCopyUnavailable(Exception):
    """The raw copy could not be read (it is missing, or the blob store is down)."""


def raw_copy_storage() -> Storage:
    return storages["raw_copies"]


def raw_copy_path(*, tenant_id: int, kind: str, object_id: uuid.UUID | str) -> str:
    return f"tenants/{tenant_id}/{kind}/{object_id}.json"


def raw_copy_stage(*, path: str, body: bytes) -> None:
    """Keep ``body`` durably in the database; call inside the transaction that writes its owner."""
    PendingRawCopy.objects.create(path=path, body=body)


def raw_copies_stage(*, copies: Iterable[tuple[str, bytes]]) -> None:
    """``raw_copy_stage`` for many ``(path, body)`` at once (a COPY on PostgreSQL)."""
    now = timezone.now()
    rows_copy_in(
        PendingRawCopy, ("path", "body", "created_at"), [(path, body, now) for path, body in copies]
    )


def raw_copy_read(*, path: str) -> bytes:
    pending = PendingRawCopy.objects.filter(path=path).values_list("body", flat=True).first()
    if pending is not None:
        return bytes(pending)
    try:
        with raw_copy_storage().open(path, "rb") as blob:
            return bytes(blob.read())
    except FileNotFoundError:
        raise RawCopyUnavailable(f"no raw copy at {path}") from None
    except Exception as error:
        logger.exception("Could not read raw copy %s", path)
        raise RawCopyUnavailable(str(error)) from error


def raw_copies_discard(*, paths: Iterable[str]) -> None:
    """Forget the raw copies at ``paths``; call inside the transaction that deletes their owners."""
    batch: list[str] = []
    for path in paths:
        batch.append(path)
        if len(batch) == _BATCH:
            _discard_batch(batch)
            batch = []
    if batch:
        _discard_batch(batch)


def _discard_batch(paths: list[str]) -> None:
    PendingRawCopy.objects.filter(path__in=paths).delete()
    BlobDeletion.objects.bulk_create([BlobDeletion(path=path) for path in paths])


def raw_copies_flush(*, limit: int = 1000) -> int:
    """Move up to ``limit`` pending raw copies to blob storage; returns how many moved.

    Safe to run in several workers at once: each batch is claimed with SKIP LOCKED where the
    database has it. A copy that fails to upload stays pending and is tried again next time.
    """
    moved = 0
    while moved < limit:
        with transaction.atomic():
            batch = list(
                PendingRawCopy.objects.select_for_update(skip_locked=True).order_by("id")[
                    : min(_FLUSH_BATCH, limit - moved)
                ]
            )
            if not batch:
                break
            storage = raw_copy_storage()
            done = []
            for pending in batch:
                try:
                    storage.save(pending.path, ContentFile(bytes(pending.body)))
                except Exception:
                    logger.exception("Could not upload raw copy %s; it stays pending", pending.path)
                    continue
                done.append(pending.pk)
            PendingRawCopy.objects.filter(pk__in=done).delete()
        moved += len(done)
        if len(done) < len(batch):
            break
    return moved


def blob_deletions_process(*, limit: int = 1000) -> int:
    """Delete up to ``limit`` blobs recorded for deletion; returns how many were deleted."""
    deleted = 0
    while deleted < limit:
        with transaction.atomic():
            batch = list(
                BlobDeletion.objects.select_for_update(skip_locked=True).order_by("id")[
                    : min(100, limit - deleted)
                ]
            )
            if not batch:
                break
            storage = raw_copy_storage()
            done, failed = [], []
            for deletion in batch:
                try:
                    storage.delete(deletion.path)
                except Exception:
                    logger.exception("Could not delete blob %s; will retry", deletion.path)
                    failed.append(deletion.pk)
                    continue
                done.append(deletion.pk)
            BlobDeletion.objects.filter(pk__in=done).delete()
            BlobDeletion.objects.filter(pk__in=failed).update(attempts=F("attempts") + 1)
        deleted += len(done)
        if failed:
            break
    return deleted

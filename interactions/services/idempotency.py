"""Idempotency-Key on POST (IETF httpapi draft semantics).

A request with a key first claims it in a transaction of its own; the write it guards and the
stored response are then committed together, so a response is stored exactly when its effect is.
A claim left by a crashed process expires after a lease and can be taken over.
"""

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from interactions.exceptions import IdempotencyKeyInFlight, IdempotencyKeyReused
from interactions.models import IdempotencyRecord, Tenant

logger = logging.getLogger(__name__)

MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: Any


def request_fingerprint(*, method: str, route: str, document: Any) -> str:
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{method} {route}\n{canonical}".encode()).hexdigest()


def _deadlines() -> tuple[Any, Any, Any]:
    now = timezone.now()
    lease = now + timedelta(seconds=settings.IDEMPOTENCY_LEASE_SECONDS)
    expiry = now + timedelta(hours=settings.IDEMPOTENCY_TTL_HOURS)
    return now, lease, expiry


def idempotency_claim(
    *, tenant: Tenant, key: str, fingerprint: str
) -> IdempotencyRecord | StoredResponse:
    """Claim ``key`` for this request, or return the response a finished twin already got.

    Raises IdempotencyKeyReused when the key was used for another request, and
    IdempotencyKeyInFlight while a twin is still being processed.
    """
    for _ in range(3):
        now, lease, expiry = _deadlines()
        try:
            with transaction.atomic():
                return IdempotencyRecord.objects.create(
                    tenant=tenant,
                    key=key,
                    fingerprint=fingerprint,
                    lease_expires_at=lease,
                    expires_at=expiry,
                )
        except IntegrityError:
            pass
        existing = IdempotencyRecord.objects.filter(tenant=tenant, key=key).first()
        if existing is None:
            continue  # released between our insert and our read: try again
        if existing.expires_at <= now:
            # Past its retention: the key is free again, as if the record were already purged.
            taken = IdempotencyRecord.objects.filter(pk=existing.pk, expires_at__lte=now).update(
                fingerprint=fingerprint,
                state=IdempotencyRecord.State.IN_FLIGHT,
                response_status=None,
                response_body=None,
                created_at=now,
                lease_expires_at=lease,
                expires_at=expiry,
            )
            if taken:
                return IdempotencyRecord.objects.get(pk=existing.pk)
            continue
        if existing.fingerprint != fingerprint:
            raise IdempotencyKeyReused()
        if existing.state == IdempotencyRecord.State.COMPLETED:
            return StoredResponse(
                status=existing.response_status or 200, body=existing.response_body
            )
        if existing.lease_expires_at > now:
            raise IdempotencyKeyInFlight(headers={"Retry-After": "1"})
        # The first request's process died mid-way: nothing of it was committed, so take over.
        taken = IdempotencyRecord.objects.filter(
            pk=existing.pk,
            state=IdempotencyRecord.State.IN_FLIGHT,
            lease_expires_at=existing.lease_expires_at,
        ).update(lease_expires_at=lease)
        if taken:
            return IdempotencyRecord.objects.get(pk=existing.pk)
        raise IdempotencyKeyInFlight(headers={"Retry-After": "1"})
    raise IdempotencyKeyInFlight(headers={"Retry-After": "1"})


def idempotency_complete(*, record: IdempotencyRecord, status: int, body: Any) -> None:
    """Store the response; call inside the transaction that commits the request's effect.

    Raises IdempotencyKeyInFlight, rolling that transaction back, when this request's lease ran
    out and a retry took the key over: then the retry's effect is the one that counts.
    """
    completed = IdempotencyRecord.objects.filter(
        pk=record.pk,
        state=IdempotencyRecord.State.IN_FLIGHT,
        lease_expires_at=record.lease_expires_at,
    ).update(state=IdempotencyRecord.State.COMPLETED, response_status=status, response_body=body)
    if not completed:
        raise IdempotencyKeyInFlight(headers={"Retry-After": "1"})


def idempotency_release(*, record: IdempotencyRecord) -> None:
    """Give the key back after a refused or failed request, so the client may fix and retry."""
    IdempotencyRecord.objects.filter(pk=record.pk, state=IdempotencyRecord.State.IN_FLIGHT).delete()


class CommitThenRaise(Exception):
    """Raised by a write that must fail its request yet keep what it wrote.

    :func:`idempotent_write` commits the write's transaction, then raises ``error`` (and gives the
    key back, as for any failed request). A refused interaction is kept this way, for the tenant to
    read, although its request is refused.
    """

    def __init__(self, error: Exception) -> None:
        self.error = error
        super().__init__(str(error))


def idempotent_write(
    *,
    tenant: Tenant,
    key: str | None,
    fingerprint: str,
    write: Callable[[], Any],
    status: int,
) -> StoredResponse:
    """Run ``write`` at most once for ``key`` and answer ``(status, what write returned)``.

    Without a key ``write`` just runs in a transaction. With one, the key is claimed first
    (see :func:`idempotency_claim` for the 409 and 422 it may raise); a retry of a finished request
    gets the stored response and ``write`` does not run. ``write`` runs in a transaction that also
    stores its response, so a response is stored exactly when its effect is committed. If ``write``
    raises, its transaction rolls back (but see :class:`CommitThenRaise`) and the key is released,
    so the client may fix the request and retry with the same key.
    """
    record = None
    if key:
        claimed = idempotency_claim(tenant=tenant, key=key, fingerprint=fingerprint)
        if isinstance(claimed, StoredResponse):
            return claimed
        record = claimed
    try:
        with transaction.atomic():
            try:
                body = write()
            except CommitThenRaise as refusal:
                failure = refusal.error
            else:
                if record is not None:
                    idempotency_complete(record=record, status=status, body=body)
                return StoredResponse(status=status, body=body)
        raise failure
    except BaseException:
        if record is not None:
            _release_quietly(record=record, key=key)
        raise


def _release_quietly(*, record: IdempotencyRecord, key: str | None) -> None:
    try:
        idempotency_release(record=record)
    except Exception:
        # The database is likely what failed; the claim then expires with its lease.
        logger.warning("Could not release Idempotency-Key %r", key, exc_info=True)

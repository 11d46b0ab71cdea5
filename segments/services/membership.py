"""Writes of a segment's materialised membership: the full refresh, the update for some
contacts, and the claim of the periodic refreshes that are due. A segment whose refresh raises is
marked failed with the reason and retried with back-off; the other segments go on.

Every write of a segment's membership (``segment_refresh``, ``segment_contacts_update``) starts
with ``UPDATE segment SET version = version + 1``: that statement locks the segment's row (on
SQLite, the database) until the transaction ends, so writers of one segment's membership run one
after the other, and each evaluates the rule only once it holds the lock, on data at least as new
as what the previous writer saw. Overlapping refreshes therefore queue instead of interleaving, and
the last to commit is never older than the one before it.
"""

import logging
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from segments.models import Segment, SegmentMembership
from segments.rules.checks import rule_problems
from segments.selectors import rule_member_ids, segment_catalog
from segments.services.segments import segment_deactivate

logger = logging.getLogger(__name__)


def _lock(segment: Segment) -> Segment | None:
    """Take the segment's write lock (see the module docstring); the fresh row, or None if gone."""
    updated = Segment.objects.filter(pk=segment.pk).update(version=F("version") + 1)
    if not updated:
        return None
    return Segment.objects.select_related("tenant").get(pk=segment.pk)


def _current_members(segment: Segment) -> Any:
    return SegmentMembership.objects.filter(segment=segment, exited_at__isnull=True)


@transaction.atomic
def segment_refresh(*, segment: Segment, now: datetime | None = None) -> int:
    """Recompute the whole membership from the rule; returns the member count.

    Three statements whatever the size: exits (``UPDATE … WHERE contact NOT IN (rule)``), entries
    (``INSERT … SELECT`` from the rule, minus current members) and the count; nothing is loaded into
    Python, so memory does not grow with the segment. Safe to run twice or concurrently.
    """
    locked = _lock(segment)
    if locked is None or not locked.is_active:
        return locked.member_count if locked else 0
    tenant = locked.tenant
    catalog = segment_catalog(tenant=tenant)
    problems = rule_problems(locked.rule, catalog=catalog)
    if problems:
        segment_deactivate(
            segment=locked,
            problem=f"The rule no longer fits the schemas: {problems[0].message}.",
        )
        return locked.member_count
    now = now or timezone.now()
    selected = rule_member_ids(tenant=tenant, rule=locked.rule, catalog=catalog, now=now)
    _current_members(locked).exclude(contact_id__in=selected).update(exited_at=now)
    entering = selected.exclude(member_id__in=_current_members(locked).values("contact_id"))
    select_sql, params = entering.query.sql_with_params()
    table = SegmentMembership._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (tenant_id, segment_id, contact_id, entered_at) "  # noqa: S608 - only our own names are interpolated
            f"SELECT %s, %s, entering.member_id, %s FROM ({select_sql}) AS entering",
            [
                tenant.pk,
                _db_uuid(locked.pk),
                connection.ops.adapt_datetimefield_value(now),
                *params,
            ],
        )
    count = _current_members(locked).count()
    Segment.objects.filter(pk=locked.pk).update(
        member_count=count,
        last_refreshed_at=now,
        refreshed_rule_version=locked.rule_version,
        next_refresh_at=now + timedelta(minutes=locked.refresh_minutes),
        refresh_error="",
        refresh_failed_at=None,
        refresh_failures=0,
    )
    return count


def segment_refresh_safely(*, segment: Segment, now: datetime | None = None) -> int | None:
    """``segment_refresh``, or, when it raises, the failure recorded on the segment (which is
    then retried with back-off) and None: a segment that can't be refreshed never stops others."""
    try:
        return segment_refresh(segment=segment, now=now)
    except Exception as error:
        segment_refresh_failed(segment=segment, error=error, now=now)
        return None


def segment_refresh_failed(
    *, segment: Segment, error: Exception, now: datetime | None = None
) -> None:
    """Mark the segment's refresh failed with its reason, and bring its next full refresh forward
    to the back-off: ``EVENT_RETRY_BASE_SECONDS``, doubling with each failure in a row, never later
    than its usual interval. The failure is cleared by the next refresh that goes through."""
    now = now or timezone.now()
    fresh = Segment.objects.filter(pk=segment.pk).values_list("refresh_failures", flat=True)
    failures = next(iter(fresh), segment.refresh_failures) + 1
    delay = min(
        settings.EVENT_RETRY_BASE_SECONDS * 2 ** min(failures - 1, 20),
        segment.refresh_minutes * 60,
    )
    reason = f"{type(error).__name__}: {error}"
    reason = reason if len(reason) <= 500 else reason[:499] + "…"
    logger.warning(
        "Segment %s of tenant %s failed to refresh (%s in a row, next try in %.0f s): %s",
        segment.pk,
        segment.tenant_id,
        failures,
        delay,
        reason,
        exc_info=error,
    )
    Segment.objects.filter(pk=segment.pk).update(
        refresh_error=reason,
        refresh_failed_at=now,
        refresh_failures=failures,
        next_refresh_at=now + timedelta(seconds=delay),
    )


def _db_uuid(value: uuid.UUID) -> Any:
    """A UUID as the database column stores it (text without dashes on SQLite)."""
    return Segment._meta.get_field("id").get_db_prep_value(value, connection)


@transaction.atomic
def segment_contacts_update(
    *, segment: Segment, contact_ids: Sequence[uuid.UUID], now: datetime | None = None
) -> tuple[int, int]:
    """Re-evaluate the rule for some contacts only (those an event touched); returns how many
    entered and exited. Idempotent: a second run with the same contacts changes nothing."""
    locked = _lock(segment)
    if locked is None or not locked.is_active or not contact_ids:
        return 0, 0
    tenant = locked.tenant
    catalog = segment_catalog(tenant=tenant)
    if rule_problems(locked.rule, catalog=catalog):
        return 0, 0  # the next full refresh deactivates it with the reason
    now = now or timezone.now()
    selected = set(
        rule_member_ids(tenant=tenant, rule=locked.rule, catalog=catalog, now=now)
        .filter(member_id__in=contact_ids)
        .values_list("member_id", flat=True)
    )
    current = set(
        _current_members(locked)
        .filter(contact_id__in=contact_ids)
        .values_list("contact_id", flat=True)
    )
    exiting, entering = current - selected, selected - current
    if exiting:
        _current_members(locked).filter(contact_id__in=exiting).update(exited_at=now)
    SegmentMembership.objects.bulk_create(
        SegmentMembership(tenant=tenant, segment=locked, contact_id=contact_id, entered_at=now)
        for contact_id in sorted(entering)
    )
    if entering or exiting:
        Segment.objects.filter(pk=locked.pk).update(
            member_count=F("member_count") + len(entering) - len(exiting)
        )
    return len(entering), len(exiting)


def segments_update_for_contacts(*, tenant_id: int, contact_ids: Iterable[uuid.UUID]) -> int:
    """Bring every active segment of the tenant up to date for these contacts; returns how many
    memberships changed. Each segment in its own transaction: one that raises is marked failed
    (its full refresh, retried with back-off, catches up on these contacts) and the others go on."""
    ids = sorted(set(contact_ids))
    changed = 0
    for segment in Segment.objects.filter(tenant_id=tenant_id, is_active=True).order_by("pk"):
        try:
            entered, exited = segment_contacts_update(segment=segment, contact_ids=ids)
        except Exception as error:
            segment_refresh_failed(segment=segment, error=error)
            continue
        changed += entered + exited
    return changed


def segments_claim_due(*, now: datetime | None = None) -> list[tuple[int, uuid.UUID]]:
    """Claim the active segments whose periodic refresh is due: each claim is a conditional
    UPDATE that moves ``next_refresh_at`` on, so two schedulers never claim the same one."""
    now = now or timezone.now()
    claimed = []
    due = Segment.objects.filter(is_active=True, next_refresh_at__lte=now).values_list(
        "pk", "tenant_id", "next_refresh_at", "refresh_minutes"
    )
    for segment_id, tenant_id, next_at, minutes in due[:1000]:
        if Segment.objects.filter(pk=segment_id, next_refresh_at=next_at).update(
            next_refresh_at=now + timedelta(minutes=minutes)
        ):
            claimed.append((tenant_id, segment_id))
    return claimed

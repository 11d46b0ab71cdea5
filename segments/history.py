"""Reads for the segment page and its delete confirmation: the size over time, the entries and
exits of the last days, a page of current members with where that page lies, and what uses the
segment. Every read starts from the tenant."""

import uuid
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from interactions.public import Reference, Tenant, references_to
from segments.models import Segment, SegmentMembership
from segments.selectors import segment_get, segment_member_paginator, segment_members
from segments.size_history import SizeChart, SizePoint, size_chart, size_series

# The size chart's spans in days; the first is shown unless another is asked for.
HISTORY_SPANS = (30, 90, 365)
RECENT_DAYS = 7


def tenant_zone(tenant: Tenant) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(tenant.timezone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _per_day(
    *, tenant: Tenant, segment: Segment, field: str, since: datetime, zone: zoneinfo.ZoneInfo
) -> dict[date, int]:
    """How many of the segment's stays entered (``field="entered_at"``) or exited
    (``"exited_at"``) on each local day from ``since`` on: one grouped query."""
    rows = (
        SegmentMembership.objects.filter(tenant=tenant, segment=segment, **{f"{field}__gte": since})
        .annotate(day=TruncDate(field, tzinfo=zone))
        .values("day")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["day"]: row["n"] for row in rows}


def segment_size_history(
    *,
    tenant: Tenant,
    segment: Segment,
    days: int,
    current_size: int | None = None,
    now: datetime | None = None,
) -> list[SizePoint]:
    """The segment's size at the end of each of the last ``days`` local days (today: now),
    derived from its stored stays (see ``segments.size_history``): two grouped queries, and a
    count unless ``current_size`` is given."""
    zone = tenant_zone(tenant)
    today = timezone.localtime(now or timezone.now(), zone).date()
    first_day = today - timedelta(days=days - 1)
    since = datetime.combine(first_day, time.min, tzinfo=zone)
    if current_size is None:
        current_size = segment_members(tenant=tenant, segment=segment).count()
    return size_series(
        first_day=first_day,
        last_day=today,
        current_size=current_size,
        entries=_per_day(
            tenant=tenant, segment=segment, field="entered_at", since=since, zone=zone
        ),
        exits=_per_day(tenant=tenant, segment=segment, field="exited_at", since=since, zone=zone),
    )


def segment_changes_since(*, tenant: Tenant, segment: Segment, since: datetime) -> tuple[int, int]:
    """How many contacts entered and how many exited the segment from ``since`` on (a contact
    that left and came back counts in both): two counts."""
    stays = SegmentMembership.objects.filter(tenant=tenant, segment=segment)
    return (
        stays.filter(entered_at__gte=since).count(),
        stays.filter(exited_at__gte=since).count(),
    )


@dataclass(frozen=True)
class MemberPage:
    """Current members, newest entry first, and where they lie: rows ``first`` to ``last``
    (1-based; both 0 when the page is empty) of ``total``."""

    rows: list[SegmentMembership]
    next_token: str | None
    first: int
    last: int
    total: int


def segment_member_page(
    *, tenant: Tenant, segment: Segment, token: str | None, size: int
) -> MemberPage:
    """The page of members after ``token`` with its position: three queries (the page, the
    total, and the rows before it); raises InvalidContinuation for a token of another listing."""
    paginator = segment_member_paginator(tenant=tenant, segment=segment, size=size)
    page = paginator.page(token)
    before = paginator.rows_before(token)
    total = segment_members(tenant=tenant, segment=segment).count()
    first = before + 1 if page.items else 0
    return MemberPage(
        rows=page.items,
        next_token=page.next_token,
        first=first,
        last=before + len(page.items),
        total=total,
    )


@dataclass(frozen=True)
class SegmentOverview:
    segment: Segment
    span: int
    history: list[SizePoint]
    chart: SizeChart
    entered_recently: int
    exited_recently: int
    members: MemberPage


def segment_overview(
    *,
    tenant: Tenant,
    segment_id: uuid.UUID,
    span: int,
    token: str | None,
    page_size: int,
    now: datetime | None = None,
) -> SegmentOverview:
    """Everything the segment page shows: a constant number of queries whatever its size."""
    now = now or timezone.now()
    segment = segment_get(tenant=tenant, segment_id=segment_id)
    members = segment_member_page(tenant=tenant, segment=segment, token=token, size=page_size)
    history = segment_size_history(
        tenant=tenant, segment=segment, days=span, current_size=members.total, now=now
    )
    entered, exited = segment_changes_since(
        tenant=tenant, segment=segment, since=now - timedelta(days=RECENT_DAYS)
    )
    return SegmentOverview(
        segment=segment,
        span=span,
        history=history,
        chart=size_chart(history),
        entered_recently=entered,
        exited_recently=exited,
        members=members,
    )


def segment_uses(*, tenant: Tenant, segment: Segment) -> list[Reference]:
    """What points at the segment, as the apps that refer to segments report it (none do yet:
    automations trigger on interactions, not on segments)."""
    return references_to(tenant=tenant, target=segment)

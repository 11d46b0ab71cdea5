"""Reads for the contact pages: the contact list's activity figures and the contact card.

The card costs the same four queries whatever the contact's history:

1. the contact (from the tenant's contacts);
2. the summary: one GROUP BY schema over the contact's interactions (count, first, last);
3. the chart: one GROUP BY (period, schema), the period truncated by the database in the tenant's
   time zone, so no interaction row leaves the database;
4. one page of interactions: a keyset on (-created_date, -id) served by the ``interaction_card``
   (or, filtered by schema, ``interaction_listing``) index, page_size + 1 rows with their schema.

Interactions of a deleted schema (waiting to be purged) are left out everywhere, as in the API.
"""

import threading
import uuid
import zoneinfo
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import (
    Count,
    DateField,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce, Trunc

from engage_site.api.pagination import KeysetPaginator
from interactions.models import Contact, Interaction, InteractionSchema, Tenant
from interactions.schema_validation import (
    RESERVED_PRODUCT_SKU,
    PropertyDisplay,
    describe_properties,
)
from interactions.selectors import contact_get

# Chart periods: the finest that keeps a span to at most about 70 bars.
DAY, WEEK, MONTH, YEAR = "day", "week", "month", "year"
_DAYS_BY_DAY = 62
_DAYS_BY_WEEK = 366
_DAYS_BY_MONTH = 6 * 366
# Empty periods are drawn as gaps up to this many periods; beyond it only non-empty ones are sent.
_MAX_FILLED_PERIODS = 400


# --- The contact list ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ContactActivity:
    """How many interactions a contact has, and when and of which kind its latest was."""

    count: int = 0
    last_date: datetime | None = None
    last_schema_name: str = ""


def contact_search(*, tenant: Tenant, query: str = "") -> QuerySet[Contact]:
    """The tenant's contacts, newest first, matching ``query``: a contact id or external id
    exactly, or every word of it within the first name, last name or email (any case)."""
    contacts = Contact.objects.filter(tenant=tenant).order_by("-created_on", "-id")
    query = query.replace("\x00", "").strip()  # PostgreSQL can't compare a NUL
    if not query:
        return contacts
    try:
        return contacts.filter(Q(pk=uuid.UUID(query)) | Q(external_id=query))
    except ValueError:
        pass
    words = Q()
    for word in query.split()[:8]:
        words &= (
            Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(email__icontains=word)
        )
    return contacts.filter(words | Q(external_id=query))


def contact_activity(
    *, tenant: Tenant, contact_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, ContactActivity]:
    """Activity figures for the given contacts (one page of the list), in one query whose cost
    grows with those contacts' interactions only, not with the tenant's."""
    if not contact_ids:
        return {}
    interactions = Interaction.objects.filter(
        tenant=tenant, contact=OuterRef("pk"), schema__deleted_at__isnull=True
    )
    newest = interactions.order_by("-created_date", "-id")
    counted = interactions.order_by().values("contact").annotate(n=Count("id")).values("n")
    rows = (
        Contact.objects.filter(tenant=tenant, pk__in=contact_ids)
        .annotate(
            interaction_count=Coalesce(Subquery(counted, output_field=IntegerField()), 0),
            last_date=Subquery(newest.values("created_date")[:1]),
            last_schema_name=Subquery(newest.values("schema__display_name")[:1]),
        )
        .order_by()
        .values_list("pk", "interaction_count", "last_date", "last_schema_name")
    )
    return {
        pk: ContactActivity(count=count, last_date=last, last_schema_name=name or "")
        for pk, count, last, name in rows
    }


# --- Display hints, parsed once per schema row ---------------------------------------------------

_HINTS_MAX_ENTRIES = 2048
_hints: OrderedDict[tuple[int, datetime], tuple[PropertyDisplay, ...]] = OrderedDict()
_hints_lock = threading.Lock()


def display_hints(schema: InteractionSchema) -> tuple[PropertyDisplay, ...]:
    """The schema's properties with their display hints, in sortOrder.

    Schema rows never change, so the parsed hints are kept for the process's life under the row's
    primary key and creation time (see ``interactions.schema_cache``).
    """
    key = (schema.pk, schema.created_at)
    with _hints_lock:
        found = _hints.get(key)
        if found is not None:
            _hints.move_to_end(key)
            return found
    parsed = tuple(describe_properties(schema.json_schema))
    with _hints_lock:
        _hints[key] = parsed
        if len(_hints) > _HINTS_MAX_ENTRIES:
            _hints.popitem(last=False)
    return parsed


# --- The contact card ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SchemaSummary:
    """A contact's interactions of one schema: how many, the first and the last."""

    schema_pk: int
    schema_id: str
    display_name: str
    count: int
    first: datetime
    last: datetime
    # Position among the contact's schemas: the chart's and the summary's colour.
    color: int


@dataclass(frozen=True)
class ChartSeries:
    schema_id: str
    name: str
    color: int
    counts: list[int]


@dataclass(frozen=True)
class Chart:
    """Interactions per period and schema. ``periods`` are the first days of the periods."""

    granularity: str
    periods: list[date]
    labels: list[str]
    short_labels: list[str]
    series: list[ChartSeries]

    @property
    def is_empty(self) -> bool:
        return not any(any(series.counts) for series in self.series)

    def as_json(self) -> dict[str, Any]:
        """The chart's data for the page's script (to be embedded with ``json_script``)."""
        return {
            "granularity": self.granularity,
            "periods": [period.isoformat() for period in self.periods],
            "labels": self.labels,
            "shortLabels": self.short_labels,
            "series": [
                {
                    "schemaId": series.schema_id,
                    "name": series.name,
                    "color": series.color,
                    "counts": series.counts,
                }
                for series in self.series
            ],
        }


@dataclass(frozen=True)
class PropertyValue:
    """One payload property as the card shows it: labelled, with its type for formatting."""

    name: str
    label: str
    value: Any
    type: str
    format: str | None
    is_product: bool


@dataclass(frozen=True)
class DroppedProperty:
    name: str
    reason: str


@dataclass(frozen=True)
class CardRow:
    interaction: Interaction
    # The schema's colour in the summary and the chart.
    color: int
    shown: list[PropertyValue]
    hidden: list[PropertyValue]
    dropped: list[DroppedProperty]

    @property
    def details_count(self) -> int:
        """How many entries the row's "details" disclosure holds."""
        return len(self.hidden) + len(self.dropped)


@dataclass(frozen=True)
class ContactCard:
    contact: Contact
    timezone: zoneinfo.ZoneInfo
    summary: list[SchemaSummary]
    chart: Chart
    rows: list[CardRow]
    # The token for the next (older) page, or None on the last page.
    next_continuation: str | None
    # The filters applied to the chart and the rows.
    schema_id: str | None = None
    since: date | None = None
    until: date | None = None
    is_continued: bool = False

    @property
    def total(self) -> int:
        return sum(item.count for item in self.summary)

    @property
    def last_date(self) -> datetime | None:
        return max((item.last for item in self.summary), default=None)


def contact_card_data(
    *,
    tenant: Tenant,
    contact_id: uuid.UUID,
    schema_id: str | None = None,
    since: date | None = None,
    until: date | None = None,
    continuation: str | None = None,
    page_size: int = 25,
) -> ContactCard:
    """Everything the contact card shows, in four queries.

    ``since`` and ``until`` are days in the tenant's time zone, both included; with
    ``schema_id`` (a schema's public id) they filter the chart and the rows, not the summary.
    ``continuation`` is a token from a previous page's ``next_continuation`` with the same
    filters. Raises ContactNotFound (also for another tenant's contact) and InvalidContinuation.
    """
    tz = zoneinfo.ZoneInfo(tenant.timezone)
    contact = contact_get(tenant=tenant, contact_id=contact_id)
    paginator_scope = _card_scope(tenant, contact.pk, schema_id, since, until)

    summary = _summary(tenant, contact)
    start = _day_start(since, tz) if since else None
    end = _day_start(until + timedelta(days=1), tz) if until else None
    interactions = Interaction.objects.filter(
        tenant=tenant, contact=contact, schema__deleted_at__isnull=True
    )
    if schema_id is not None:
        known = next((item for item in summary if item.schema_id == schema_id), None)
        interactions = (
            interactions.filter(schema_id=known.schema_pk)
            if known
            else interactions.filter(schema__schema_id=schema_id)
        )
    if start is not None:
        interactions = interactions.filter(created_date__gte=start)
    if end is not None:
        interactions = interactions.filter(created_date__lt=end)

    relevant = [item for item in summary if schema_id is None or item.schema_id == schema_id]
    chart = _chart(interactions, relevant, tz, since=since, until=until)

    page = KeysetPaginator(
        interactions.select_related("schema"),
        key="created_date",
        scope=paginator_scope,
        size=page_size,
    ).page(continuation)
    colors = {item.schema_pk: item.color for item in summary}
    return ContactCard(
        contact=contact,
        timezone=tz,
        summary=summary,
        chart=chart,
        rows=[_card_row(interaction, colors) for interaction in page.items],
        next_continuation=page.next_token,
        schema_id=schema_id,
        since=since,
        until=until,
        is_continued=bool(continuation),
    )


def _card_scope(
    tenant: Tenant,
    contact_id: uuid.UUID,
    schema_id: str | None,
    since: date | None,
    until: date | None,
) -> str:
    """What a continuation token is bound to: this card with these filters."""
    return f"contact-card:{tenant.pk}:{contact_id}:{schema_id or ''}:{since or ''}:{until or ''}"


def _day_start(day: date, tz: zoneinfo.ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=tz)


def _summary(tenant: Tenant, contact: Contact) -> list[SchemaSummary]:
    rows = (
        Interaction.objects.filter(tenant=tenant, contact=contact, schema__deleted_at__isnull=True)
        .values("schema_id", "schema__schema_id", "schema__display_name")
        .annotate(count=Count("id"), first=Min("created_date"), last=Max("created_date"))
        .order_by()
    )
    ordered = sorted(
        rows, key=lambda row: (row["schema__display_name"].casefold(), row["schema_id"])
    )
    return [
        SchemaSummary(
            schema_pk=row["schema_id"],
            schema_id=row["schema__schema_id"],
            display_name=row["schema__display_name"],
            count=row["count"],
            first=row["first"],
            last=row["last"],
            color=index,
        )
        for index, row in enumerate(ordered)
    ]


def _granularity(first: date, last: date) -> str:
    days = (last - first).days
    if days <= _DAYS_BY_DAY:
        return DAY
    if days <= _DAYS_BY_WEEK:
        return WEEK
    if days <= _DAYS_BY_MONTH:
        return MONTH
    return YEAR


def _period_start(day: date, granularity: str) -> date:
    if granularity == WEEK:
        return day - timedelta(days=day.weekday())  # Monday, as the database truncates weeks
    if granularity == MONTH:
        return day.replace(day=1)
    if granularity == YEAR:
        return day.replace(month=1, day=1)
    return day


def _next_period(period: date, granularity: str) -> date:
    if granularity == DAY:
        return period + timedelta(days=1)
    if granularity == WEEK:
        return period + timedelta(days=7)
    if granularity == MONTH:
        return (period.replace(day=28) + timedelta(days=4)).replace(day=1)
    return period.replace(year=period.year + 1)


def _periods_between(first: date, last: date, granularity: str) -> list[date] | None:
    """Every period from the one holding ``first`` to the one holding ``last``, or None when
    there would be more than the chart draws as gaps."""
    periods = []
    period = _period_start(first, granularity)
    while period <= last:
        periods.append(period)
        if len(periods) > _MAX_FILLED_PERIODS:
            return None
        try:
            period = _next_period(period, granularity)
        except (OverflowError, ValueError):
            break
    return periods


def _period_labels(period: date, granularity: str) -> tuple[str, str]:
    """(full label, short axis label)."""
    if granularity == DAY:
        return f"{period.day} {period:%b %Y}", f"{period.day} {period:%b}"
    if granularity == WEEK:
        return f"Week of {period.day} {period:%b %Y}", f"{period.day} {period:%b}"
    if granularity == MONTH:
        return f"{period:%B %Y}", f"{period:%b %Y}"
    return str(period.year), str(period.year)


def _chart(
    interactions: QuerySet[Interaction],
    relevant: list[SchemaSummary],
    tz: zoneinfo.ZoneInfo,
    *,
    since: date | None,
    until: date | None,
) -> Chart:
    if relevant:
        first_day = since or min(item.first for item in relevant).astimezone(tz).date()
        last_day = until or max(item.last for item in relevant).astimezone(tz).date()
    else:
        first_day = since or until or datetime.now(tz).date()
        last_day = until or first_day
    last_day = max(first_day, last_day)
    granularity = _granularity(first_day, last_day)

    # Periods come back as the local dates they start on (DateField output: no per-row time
    # zone conversion in Python).
    bucketed = (
        interactions.annotate(
            period=Trunc("created_date", granularity, output_field=DateField(), tzinfo=tz)
        )
        .values("period", "schema_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("period", "schema_id", "n")
    )
    counts: dict[tuple[date, int], int] = {}
    for period, schema_pk, n in bucketed:
        key = (_period_start(period, granularity), schema_pk)
        counts[key] = counts.get(key, 0) + n

    periods = _periods_between(first_day, last_day, granularity)
    if periods is None:
        periods = sorted({period for period, _ in counts})
    labels = [_period_labels(period, granularity) for period in periods]
    return Chart(
        granularity=granularity,
        periods=periods,
        labels=[full for full, _ in labels],
        short_labels=[short for _, short in labels],
        series=[
            ChartSeries(
                schema_id=item.schema_id,
                name=item.display_name,
                color=item.color,
                counts=[counts.get((period, item.schema_pk), 0) for period in periods],
            )
            for item in relevant
        ],
    )


def _card_row(interaction: Interaction, colors: dict[int, int]) -> CardRow:
    """A row's properties split into those the schema shows on the card and the rest.

    ``productSku`` names the product the interaction is about; it is always shown, as a marker.
    """
    payload = interaction.payload if isinstance(interaction.payload, dict) else {}
    shown: list[PropertyValue] = []
    hidden: list[PropertyValue] = []
    described = set()
    for hint in display_hints(interaction.schema):
        described.add(hint.name)
        if hint.name not in payload:
            continue
        is_product = hint.name == RESERVED_PRODUCT_SKU
        value = PropertyValue(
            name=hint.name,
            label=hint.display_name,
            value=payload[hint.name],
            type=hint.type,
            format=hint.format,
            is_product=is_product,
        )
        (shown if hint.show_in_contact_card or is_product else hidden).append(value)
    # Kept payloads hold only declared properties; anything else is shown as-is, never lost.
    hidden.extend(
        PropertyValue(
            name=name,
            label=name,
            value=value,
            type="string",
            format=None,
            is_product=False,
        )
        for name, value in payload.items()
        if name not in described
    )
    return CardRow(
        interaction=interaction,
        color=colors.get(interaction.schema_id, 0),
        shown=shown,
        hidden=hidden,
        dropped=list(_dropped(interaction.dropped_properties)),
    )


def _dropped(problems: Any) -> Iterable[DroppedProperty]:
    for problem in problems if isinstance(problems, list) else ():
        if isinstance(problem, dict):
            name = str(problem.get("field", ""))
            yield DroppedProperty(
                name=name.removeprefix("payload."), reason=str(problem.get("message", ""))
            )

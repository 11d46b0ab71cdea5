"""The contact card: everything it shows, read in the same five queries whatever the contact's
history:

1. the contact (from the tenant's contacts);
2. the summary: the contact's ``all`` activity rows, one per schema (count, first, last);
3. the chart: its day rows (a span of up to a year is charted by day or week) or its month rows
   (longer spans), with day rows for the months a filter cuts; at most a row per schema and day
   in a year or per schema and month, whatever the history (the arithmetic is
   ``interactions.charts``);
4. one page of interactions: a keyset on (-created_date, -id) served by the ``interaction_card``
   (or, filtered by schema, ``interaction_listing``) index, page_size + 1 rows with their schema;
5. the products the page's rows name (their ``productSku``), from the catalog as it is now, in one
   query (none when no row names a product): interactions keep only the SKU, so a product made,
   changed or deleted after them shows as it is at the next read (``docs/products.md``).

Interactions of a deleted schema (waiting to be purged) are left out everywhere, as in the API.
"""

import uuid
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import F, Q

from engage_site.api.pagination import KeysetPaginator
from interactions.charts import (
    DAY,
    MONTH,
    WEEK,
    Chart,
    SchemaSummary,
    chart_build,
    chart_span,
    granularity,
    next_period,
    period_start,
    schema_summaries,
)
from interactions.models import Contact, ContactActivity, Interaction, Product, Tenant
from interactions.schema_validation import RESERVED_PRODUCT_SKU, display_hints
from interactions.selectors.contacts import contact_get
from interactions.selectors.products import products_by_sku


@dataclass(frozen=True)
class PropertyValue:
    """One payload property as the card shows it: labelled, with its type for formatting."""

    name: str
    label: str
    value: Any
    type: str
    format: str | None
    is_product: bool
    # For ``productSku``: the catalog's product of that SKU, None when the catalog lacks it.
    product: Product | None = None


@dataclass(frozen=True)
class DroppedProperty:
    name: str
    # The schema's displayName for the property, else its name.
    label: str
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
    """Everything the contact card shows, in five queries.

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
    chart = _chart(tenant, contact, relevant, tz, since=since, until=until)

    page = KeysetPaginator(
        interactions.select_related("schema"),
        key="created_date",
        scope=paginator_scope,
        size=page_size,
    ).page(continuation)
    colors = {item.schema_pk: item.color for item in summary}
    products = products_by_sku(
        tenant_id=tenant.pk, skus=[sku for item in page.items if (sku := _product_sku(item))]
    )
    return ContactCard(
        contact=contact,
        timezone=tz,
        summary=summary,
        chart=chart,
        rows=[_card_row(interaction, colors, products) for interaction in page.items],
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
    return schema_summaries(
        ContactActivity.objects.filter(
            tenant=tenant,
            contact=contact,
            period=ContactActivity.Period.ALL,
            schema__deleted_at__isnull=True,
        ).values(
            "schema_id",
            "schema__schema_id",
            "schema__display_name",
            "count",
            first=F("first_at"),
            last=F("last_at"),
        )
    )


def _chart(
    tenant: Tenant,
    contact: Contact,
    relevant: list[SchemaSummary],
    tz: zoneinfo.ZoneInfo,
    *,
    since: date | None,
    until: date | None,
) -> Chart:
    first_day, last_day = chart_span(
        relevant, tz, since=since, until=until, today=datetime.now(tz).date()
    )
    period = granularity(first_day, last_day)
    # Activity rows start on local days: (start, schema, count) is what chart_build sums.
    buckets = (
        ContactActivity.objects.filter(
            tenant=tenant,
            contact=contact,
            schema_id__in=[item.schema_pk for item in relevant],
        )
        .filter(
            _chart_rows(
                by_day=period in (DAY, WEEK),
                since=first_day if since else None,
                until=last_day if until else None,
            )
        )
        .values_list("starts_on", "schema_id", "count")
    )
    return chart_build(
        granularity=period,
        first_day=first_day,
        last_day=last_day,
        buckets=buckets,
        relevant=relevant,
    )


def _chart_rows(*, by_day: bool, since: date | None, until: date | None) -> Q:
    """The activity rows that count the days from ``since`` to ``until`` (both included; None: no
    bound): day rows, or month rows for the whole months in between and day rows for the cut
    months at the ends."""
    day, month = ContactActivity.Period.DAY, ContactActivity.Period.MONTH
    if by_day:
        rows = Q(period=day)
        if since is not None:
            rows &= Q(starts_on__gte=since)
        if until is not None:
            rows &= Q(starts_on__lte=until)
        return rows
    months = Q(period=month)
    days = Q(pk__in=[])
    if since is not None:
        first_whole = since if since.day == 1 else _month_after(since)
        months &= Q(starts_on__gte=first_whole)
        days |= Q(period=day, starts_on__gte=since, starts_on__lt=first_whole)
    if until is not None:
        after_whole = _month_after(until)
        if after_whole - until != timedelta(days=1):  # until is not a month's last day
            after_whole = period_start(until, MONTH)
        months &= Q(starts_on__lt=after_whole)
        days |= Q(period=day, starts_on__gte=after_whole, starts_on__lte=until)
    return months | days


def _month_after(day: date) -> date:
    """The first day of the month after ``day``'s (the calendar's last day after December 9999)."""
    try:
        return next_period(period_start(day, MONTH), MONTH)
    except (OverflowError, ValueError):
        return date.max


def _product_sku(interaction: Interaction) -> str | None:
    """The SKU of the product an interaction is about: its ``productSku``, if its schema declares
    one (kept payloads hold declared properties only)."""
    payload = interaction.payload if isinstance(interaction.payload, dict) else {}
    sku = payload.get(RESERVED_PRODUCT_SKU)
    return sku if isinstance(sku, str) else None


def _card_row(
    interaction: Interaction, colors: dict[int, int], products: dict[str, Product]
) -> CardRow:
    """A row's properties split into those the schema shows on the card and the rest.

    ``productSku`` names the product the interaction is about; it is always shown, with the
    catalog's product of that SKU when there is one (else as a marker saying so).
    """
    payload = interaction.payload if isinstance(interaction.payload, dict) else {}
    shown: list[PropertyValue] = []
    hidden: list[PropertyValue] = []
    labels: dict[str, str] = {}
    for hint in display_hints(interaction.schema):
        labels[hint.name] = hint.display_name
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
            product=products.get(payload[hint.name])
            if is_product and isinstance(payload[hint.name], str)
            else None,
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
        if name not in labels
    )
    return CardRow(
        interaction=interaction,
        color=colors.get(interaction.schema_id, 0),
        shown=shown,
        hidden=hidden,
        dropped=list(_dropped(interaction.dropped_properties, labels)),
    )


def _dropped(problems: Any, labels: dict[str, str]) -> Iterable[DroppedProperty]:
    for problem in problems if isinstance(problems, list) else ():
        if isinstance(problem, dict):
            name = str(problem.get("field", "")).removeprefix("payload.")
            yield DroppedProperty(
                name=name,
                label=labels.get(name) or name,
                reason=str(problem.get("message", "")),
            )

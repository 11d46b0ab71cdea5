"""The contact card's chart and summary, as arithmetic: periods, scales, labels and colours.

Pure code (no database): the card's selector counts interactions per period and schema in the
database and hands the counts here.
"""

import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from interactions.display import day_text, period_text
from interactions.formats import in_zone

# The moments the chart places: a moment within a day of the calendar's ends may not exist in the
# tenant's zone (year 1 in New York), so it is listed and counted, not charted.
CHARTABLE = (datetime(1, 1, 2, tzinfo=UTC), datetime(9999, 12, 30, tzinfo=UTC))

# Chart periods: the finest that keeps a span to at most about 70 bars.
DAY, WEEK, MONTH, YEAR = "day", "week", "month", "year"
_DAYS_BY_DAY = 62
_DAYS_BY_WEEK = 366
_DAYS_BY_MONTH = 6 * 366
# Empty periods are drawn as gaps up to this many periods; beyond it only non-empty ones are sent.
_MAX_FILLED_PERIODS = 400


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


def schema_summaries(rows: Iterable[Mapping[str, Any]]) -> list[SchemaSummary]:
    """Per-schema counts (rows with ``schema_id``, ``schema__schema_id``,
    ``schema__display_name``, ``count``, ``first`` and ``last``) in display-name order, each
    coloured by its position."""
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


@dataclass(frozen=True)
class ChartSeries:
    schema_id: str
    name: str
    color: int
    counts: list[int]


@dataclass(frozen=True)
class ChartTableRow:
    label: str
    counts: list[int]
    total: int


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

    @property
    def table_rows(self) -> list[ChartTableRow]:
        """The chart as a table for those who can't see it: one row per period with any
        interactions, its count per series and its total."""
        rows = []
        for index, label in enumerate(self.labels):
            counts = [series.counts[index] for series in self.series]
            if any(counts):
                rows.append(ChartTableRow(label=label, counts=counts, total=sum(counts)))
        return rows

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


def chart_span(
    relevant: Sequence[SchemaSummary],
    tz: zoneinfo.ZoneInfo,
    *,
    since: date | None,
    until: date | None,
    today: date,
) -> tuple[date, date]:
    """The first and last day the chart covers: the filters' days, else the charted schemas'
    first and last interactions (in ``tz``), else today."""
    if relevant:
        first_day = since or in_zone(min(item.first for item in relevant), tz).date()
        last_day = until or in_zone(max(item.last for item in relevant), tz).date()
    else:
        first_day = since or until or today
        last_day = until or first_day
    return first_day, max(first_day, last_day)


def granularity(first: date, last: date) -> str:
    """The finest period that draws the days from ``first`` to ``last`` in about 70 bars."""
    days = (last - first).days
    if days <= _DAYS_BY_DAY:
        return DAY
    if days <= _DAYS_BY_WEEK:
        return WEEK
    if days <= _DAYS_BY_MONTH:
        return MONTH
    return YEAR


def period_start(day: date, granularity: str) -> date:
    if granularity == WEEK:
        return day - timedelta(days=day.weekday())  # Monday, as the database truncates weeks
    if granularity == MONTH:
        return day.replace(day=1)
    if granularity == YEAR:
        return day.replace(month=1, day=1)
    return day


def next_period(period: date, granularity: str) -> date:
    if granularity == DAY:
        return period + timedelta(days=1)
    if granularity == WEEK:
        return period + timedelta(days=7)
    if granularity == MONTH:
        return (period.replace(day=28) + timedelta(days=4)).replace(day=1)
    return period.replace(year=period.year + 1)


def periods_between(first: date, last: date, granularity: str) -> list[date] | None:
    """Every period from the one holding ``first`` to the one holding ``last``, or None when
    there would be more than the chart draws as gaps."""
    periods = []
    period = period_start(first, granularity)
    while period <= last:
        periods.append(period)
        if len(periods) > _MAX_FILLED_PERIODS:
            return None
        try:
            period = next_period(period, granularity)
        except (OverflowError, ValueError):
            break
    return periods


def period_labels(period: date, granularity: str) -> tuple[str, str]:
    """(full label, short axis label), in the current display's locale."""
    if granularity == DAY:
        return day_text(period), period_text(period, "MMMd")
    if granularity == WEEK:
        return f"Week of {day_text(period)}", period_text(period, "MMMd")
    if granularity == MONTH:
        return period_text(period, "yMMMM"), period_text(period, "yMMM")
    return str(period.year), str(period.year)


def chart_build(
    *,
    granularity: str,
    first_day: date,
    last_day: date,
    buckets: Iterable[tuple[date, int, int]],
    relevant: Sequence[SchemaSummary],
) -> Chart:
    """The chart of ``buckets`` — (period's local start day, schema row's key, count) — with
    one series per ``relevant`` schema, empty periods drawn as gaps while there are few enough."""
    counts: dict[tuple[date, int], int] = {}
    for period, schema_pk, n in buckets:
        key = (period_start(period, granularity), schema_pk)
        counts[key] = counts.get(key, 0) + n

    periods = periods_between(first_day, last_day, granularity)
    if periods is None:
        periods = sorted({period for period, _ in counts})
    labels = [period_labels(period, granularity) for period in periods]
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

"""A segment's size over time, as arithmetic: the daily series and the chart drawn from it.

Pure code (no database). Membership is stored as stays (``SegmentMembership`` rows: entered,
then exited or still in), and a contact that comes back gets a new row, so the size at a moment
is the number of stays open then. Walking back from today's size, a day's entries are taken
away and its exits given back: ``size(end of d-1) = size(end of d) - entries(d) + exits(d)``.
The selector counts entries and exits per local day in the database and hands the counts here.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class SizePoint:
    """The segment at the end of ``day`` (for today: now), and what changed that day."""

    day: date
    size: int
    entered: int
    exited: int


def size_series(
    *,
    first_day: date,
    last_day: date,
    current_size: int,
    entries: Mapping[date, int],
    exits: Mapping[date, int],
) -> list[SizePoint]:
    """One point per day from ``first_day`` to ``last_day`` (today, whose end is now), given the
    size now and the entries and exits per day from ``first_day`` on."""
    points = []
    size = current_size
    day = last_day
    while day >= first_day:
        entered, exited = entries.get(day, 0), exits.get(day, 0)
        points.append(SizePoint(day=day, size=size, entered=entered, exited=exited))
        size = size - entered + exited
        day -= timedelta(days=1)
    points.reverse()
    return points


# The plot's height in pixels; its width is the card's, so x positions are percentages: the
# line and area are drawn in a 100-wide box stretched to the width, and the text stays its size.
PLOT_HEIGHT = 200
LABEL_ROOM = 24  # below the plot, for the days


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class SizeChart:
    """A line of the daily sizes over a filled area, with grid lines and axis labels. x values
    are percentages of the width, y values pixels from the top."""

    plot_height: int
    height: int
    line: str  # the polyline's points
    area: str  # the polygon's points: the line closed along the x axis
    dots: list[tuple[float, float]]
    y_ticks: list[Tick]
    x_ticks: list[Tick]


def _nice_ceiling(value: int) -> int:
    """The axis top for a largest size of ``value``: the smallest of 1, 2, 4 or 5 times a power
    of ten not below it, and at least 4 so that an empty or tiny segment still draws an axis."""
    if value <= 4:
        return 4
    magnitude = 1
    while magnitude * 10 < value:
        magnitude *= 10
    for step in (1, 2, 4, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def short_day(day: date) -> str:
    """Like "3 May"."""
    return f"{day.day} {day:%b}"


def size_chart(
    points: Sequence[SizePoint], day_label: Callable[[date], str] = short_day
) -> SizeChart:
    """The geometry of ``points`` (at least one), with ``day_label`` naming days on the x axis."""
    top = _nice_ceiling(max(point.size for point in points))
    step = 100 / max(len(points) - 1, 1)

    def x(index: int) -> float:
        return round(index * step, 2)

    def y(size: int) -> float:
        return round(PLOT_HEIGHT - size / top * PLOT_HEIGHT, 1)

    coords = [(x(i), y(point.size)) for i, point in enumerate(points)]
    line = " ".join(f"{cx},{cy}" for cx, cy in coords)
    area = f"0,{PLOT_HEIGHT} {line} {coords[-1][0]},{PLOT_HEIGHT}"
    last = len(points) - 1
    return SizeChart(
        plot_height=PLOT_HEIGHT,
        height=PLOT_HEIGHT + LABEL_ROOM,
        line=line,
        area=area,
        dots=coords if len(points) <= 31 else [coords[-1]],
        y_ticks=[Tick(y(value), f"{value:,}") for value in (0, top // 2, top)],
        x_ticks=[Tick(x(i), day_label(points[i].day)) for i in sorted({0, last // 2, last})],
    )

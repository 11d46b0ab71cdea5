"""Hypothesis strategies of extreme and odd values, and what each layer should make of them.

Numbers at and past every layer's limits (a double's range, 64-bit integers, 2^53, subnormals,
-0.0) and RFC 3339 date-times at the edges (the years 0001 and 9999 with offsets, leap seconds,
many fraction digits, lowercase ``t``/``z``, offsets of ±23:59 and beyond, impossible days, digits
from other scripts), each drawn with the parts it was built from so a test can say on its own
whether the value names an instant every layer holds.

The settings keep runs short and repeatable: derandomised, no example database, no deadline.
"""

import calendar
import math
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

DOUBLE_MAX = sys.float_info.max

# Function-scoped fixtures (the database, the tenant) hold across the examples of one test on
# purpose: every example adds to the same tenant, as a client would.
BOUNDS_SETTINGS = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=30,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

EDGE_INTEGERS = [
    0,
    1,
    -1,
    2**31 - 1,
    2**53,
    2**53 + 1,
    2**63 - 1,
    2**63,
    -(2**63),
    -(2**63) - 1,
    2**64,
    int(DOUBLE_MAX),
    -int(DOUBLE_MAX),
    int(DOUBLE_MAX) + 2**970,  # a float conversion would round it to infinity
    10**308,
    10**309,
    10**400,
    -(10**400),
]
EDGE_FLOATS = [0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 0.1, 1e308]
EDGE_FLOATS += [DOUBLE_MAX, -DOUBLE_MAX]

# Half the draws are edges: hypothesis's own integers rarely reach hundreds of digits.
numbers = st.one_of(
    st.sampled_from(EDGE_INTEGERS),
    st.sampled_from(EDGE_INTEGERS + EDGE_FLOATS),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=False, allow_infinity=False),
)


def fits_a_double(value: int | float) -> bool:
    """What every layer holds: a finite number no bigger than a double's largest."""
    if isinstance(value, float):
        return math.isfinite(value)
    return abs(value) <= DOUBLE_MAX


# Digits that str.isdigit() and int() accept but RFC 3339 does not.
UNICODE_DIGITS = ["\u0663", "\uff13", "\U0001d7d1", "\u096d"]  # ٣, fullwidth 3, bold 3, ७


@dataclass(frozen=True)
class OddDateTime:
    text: str
    year: int
    month: int
    day: int
    hour: int
    minute: int
    second: int
    fraction: str  # the digits after the point, "" for none
    offset_minutes: int | None  # None for an offset written out of range (beyond ±23:59)
    foreign_digit: bool

    def instant(self) -> datetime | None:
        """The UTC instant RFC 3339 and every layer agree the text names, worked out by hand
        (integer seconds since 0001-01-01), or None: no such date or time, a leap second (no layer
        holds one), more than nine fraction digits, a foreign digit, or outside 0001-9999 in UTC."""
        if self.foreign_digit or self.offset_minutes is None or len(self.fraction) > 9:
            return None
        if not (1 <= self.year <= 9999 and 1 <= self.month <= 12):
            return None
        if not 1 <= self.day <= calendar.monthrange(self.year, self.month)[1]:
            return None
        if self.hour > 23 or self.minute > 59 or self.second > 59:
            return None
        local = date(self.year, self.month, self.day).toordinal() * 86400 + (
            self.hour * 3600 + self.minute * 60 + self.second
        )
        utc = local - self.offset_minutes * 60
        first, last = 86400, (date(9999, 12, 31).toordinal() + 1) * 86400
        if not first <= utc < last:
            return None
        day, seconds = divmod(utc, 86400)
        micro = int(self.fraction[:6].ljust(6, "0")) if self.fraction else 0
        return datetime.combine(date.fromordinal(day), datetime.min.time(), UTC) + timedelta(
            seconds=seconds, microseconds=micro
        )


_OFFSETS = st.one_of(
    st.sampled_from(["Z", "z", "+00:00", "-00:00", "+23:59", "-23:59", "+14:00", "-14:00"]),
    st.sampled_from(["+15:59", "+16:00", "-16:00", "+20:00", "+24:00", "-24:00", "+23:60"]),
    st.tuples(st.sampled_from("+-"), st.integers(0, 30), st.integers(0, 60)).map(
        lambda parts: f"{parts[0]}{parts[1]:02d}:{parts[2]:02d}"
    ),
)


def _offset_minutes(offset: str) -> int | None:
    if offset in ("Z", "z"):
        return 0
    hours, minutes = int(offset[1:3]), int(offset[4:6])
    if hours > 23 or minutes > 59:
        return None
    return (hours * 60 + minutes) * (1 if offset[0] == "+" else -1)


@st.composite
def odd_date_times(draw: st.DrawFn) -> OddDateTime:
    if draw(st.booleans()):  # the first and last days, where an offset crosses the range
        year, month, day = draw(st.sampled_from([(1, 1, 1), (9999, 12, 31)]))
    else:
        year = draw(st.one_of(st.sampled_from([0, 1970, 2024]), st.integers(0, 9999)))
        month = draw(st.one_of(st.sampled_from([1, 2, 12]), st.integers(0, 13)))
        day = draw(st.one_of(st.sampled_from([1, 28, 29, 31]), st.integers(0, 32)))
    hour = draw(st.one_of(st.sampled_from([0, 23]), st.integers(0, 24)))
    minute = draw(st.one_of(st.sampled_from([0, 59]), st.integers(0, 60)))
    second = draw(st.one_of(st.sampled_from([0, 59, 60]), st.integers(0, 60)))
    fraction = draw(st.one_of(st.just(""), st.text("0123456789", min_size=1, max_size=20)))
    separator = draw(st.sampled_from("Tt"))
    offset = draw(_OFFSETS)
    text = (
        f"{year:04d}-{month:02d}-{day:02d}{separator}{hour:02d}:{minute:02d}:{second:02d}"
        f"{'.' + fraction if fraction else ''}{offset}"
    )
    foreign = draw(st.integers(0, 9)) == 0
    if foreign:
        at = draw(st.sampled_from([i for i, c in enumerate(text) if c.isdigit()]))
        text = text[:at] + draw(st.sampled_from(UNICODE_DIGITS)) + text[at + 1 :]
    return OddDateTime(
        text, year, month, day, hour, minute, second, fraction, _offset_minutes(offset), foreign
    )


odd_dates = st.one_of(
    st.dates().map(date.isoformat),
    st.sampled_from(["0000-01-01", "0001-01-01", "9999-12-31", "2023-02-29", "2024-02-29"]),
    st.sampled_from(["20240101", "2024-1-01", "2024-01-01T00:00:00Z", "\uff12024-01-01"]),
)

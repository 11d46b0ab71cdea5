"""The string formats an interaction schema may assert, and strict RFC 3339 timestamps.

Written out here rather than left to jsonschema's optional format packages so that every format is
always asserted, the same way on every machine, and ``date-time`` requires an offset.

``parse_rfc3339`` is the one reader of date-times for every layer (payload properties,
``createdDate``, segment rules, automation conditions): it answers in UTC, and only for instants
that Python, SQLite, PostgreSQL and the wire format can all hold, so nothing downstream has to
guard against an offset or a year it can't represent.
"""

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, tzinfo

_DATE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})", re.ASCII
)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_TIME = re.compile(r"\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})", re.ASCII)
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s.]+(?:\.[^@\s.]+)+", re.ASCII)
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+", re.ASCII)
_UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}", re.ASCII)

DATE_TIME_RANGE = (
    "an RFC 3339 date-time with an offset of at most ±23:59, in the years 0001 to 9999 once in UTC"
)


def in_zone(value: datetime, tz: tzinfo) -> datetime:
    """``value`` in the time zone ``tz``; in UTC for a moment that zone can't show (the first
    hours of year 1 west of UTC, the last of year 9999 east of it)."""
    try:
        return value.astimezone(tz)
    except OverflowError:
        return value.astimezone(UTC)


def _offset_in_range(offset: str) -> bool:
    """RFC 3339's ``time-numoffset``: hours 00-23, minutes 00-59 (``+HH:MM``)."""
    return int(offset[1:3]) <= 23 and int(offset[4:6]) <= 59


def _read_rfc3339(value: str) -> tuple[datetime | None, bool]:
    """(the instant in UTC or None, whether the text is a well-formed RFC 3339 date-time)."""
    if not _DATE_TIME.fullmatch(value):
        return None, False
    text = value.upper().replace("Z", "+00:00")
    date_part, _, rest = text.partition("T")
    clock, offset = rest[:-6], rest[-6:]
    if "." in clock:
        # Python 3.11 parses at most 6 fraction digits; nanoseconds are truncated.
        whole, fraction = clock.split(".")
        clock = f"{whole}.{fraction[:6].ljust(6, '0')}"
    try:
        local = datetime.fromisoformat(f"{date_part}T{clock}")
    except ValueError:  # no such day or time of day (a leap second :60 among them)
        return None, False
    if not _offset_in_range(offset):
        return None, True
    try:
        return datetime.fromisoformat(f"{local.isoformat()}{offset}").astimezone(UTC), True
    except OverflowError:  # the year 0 or 10000 in UTC
        return None, True


def parse_rfc3339(value: str) -> datetime | None:
    """The instant an RFC 3339 date-time (with an offset) names, as an aware datetime in UTC.

    None if it names none, or one outside what every layer holds: an offset beyond ±23:59, or a
    year outside 0001-9999 once moved to UTC (``9999-12-31T23:59:59-14:00`` is in the year 10000).
    A leap second (``:60``) is refused, as no layer can hold it; fractions past microseconds are
    truncated.
    """
    return _read_rfc3339(value)[0]


def date_time_out_of_range(value: str) -> bool:
    """Whether ``value`` is a well-formed RFC 3339 date-time that ``parse_rfc3339`` refuses for its
    range only (an offset beyond ±23:59, or a year outside 0001-9999 in UTC): worth telling apart
    from text that is no date-time at all."""
    parsed, well_formed = _read_rfc3339(value)
    return well_formed and parsed is None


def parse_date(value: str) -> date | None:
    """The day a ``YYYY-MM-DD`` date names, or None (nothing looser than that shape)."""
    if not _DATE.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def parse_instant(value: str) -> datetime | None:
    """A date or RFC 3339 date-time as an aware UTC datetime (a date is its midnight UTC), or None
    for anything else, a date-time out of ``parse_rfc3339``'s range included."""
    parsed = parse_rfc3339(value)
    if parsed is not None:
        return parsed
    day = parse_date(value)
    if day is None:
        return None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def is_date_time(value: str) -> bool:
    return parse_rfc3339(value) is not None


def is_date(value: str) -> bool:
    return parse_date(value) is not None


def is_time(value: str) -> bool:
    if not _TIME.fullmatch(value):
        return False
    text = value.upper().replace("Z", "+00:00")
    clock = text[:8]
    offset = text[-6:]
    try:
        time.fromisoformat(clock)
    except ValueError:
        return False
    return _offset_in_range(offset)


def is_email(value: str) -> bool:
    return len(value) <= 254 and _EMAIL.fullmatch(value) is not None


def is_uri(value: str) -> bool:
    return len(value) <= 8192 and _URI.fullmatch(value) is not None


def is_uuid(value: str) -> bool:
    return _UUID.fullmatch(value) is not None


FORMAT_CHECKS: dict[str, Callable[[str], bool]] = {
    "date-time": is_date_time,
    "date": is_date,
    "time": is_time,
    "email": is_email,
    "uri": is_uri,
    "uuid": is_uuid,
}

FORMAT_DESCRIPTIONS = {
    "date-time": "an RFC 3339 date-time with an offset, like 2018-11-13T20:20:39+00:00",
    "date": "a date like 2018-11-13",
    "time": "a time with an offset, like 20:20:39+00:00",
    "email": "an email address",
    "uri": "an absolute URI",
    "uuid": "a UUID",
}

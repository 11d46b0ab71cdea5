"""The string formats an interaction schema may assert, and strict RFC 3339 timestamps.

Written out here rather than left to jsonschema's optional format packages so that every format is
always asserted, the same way on every machine, and ``date-time`` requires an offset.
"""

import re
from collections.abc import Callable
from datetime import date, datetime, time

_DATE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})", re.ASCII
)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_TIME = re.compile(r"\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})", re.ASCII)
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s.]+(?:\.[^@\s.]+)+", re.ASCII)
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+", re.ASCII)
_UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}", re.ASCII)


def parse_rfc3339(value: str) -> datetime | None:
    """The aware datetime an RFC 3339 date-time (with an offset) names, or None if it names none."""
    if not _DATE_TIME.fullmatch(value):
        return None
    text = value.upper().replace("Z", "+00:00")
    date_part, _, rest = text.partition("T")
    clock, offset = rest[:-6], rest[-6:]
    if "." in clock:
        # Python 3.11 parses at most 6 fraction digits; nanoseconds are truncated.
        whole, fraction = clock.split(".")
        clock = f"{whole}.{fraction[:6].ljust(6, '0')}"
    try:
        parsed = datetime.fromisoformat(f"{date_part}T{clock}{offset}")
    except ValueError:
        return None
    if abs(int(offset[1:3])) > 23 or int(offset[4:6]) > 59:
        return None
    return parsed


def is_date_time(value: str) -> bool:
    return parse_rfc3339(value) is not None


def is_date(value: str) -> bool:
    if not _DATE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


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
    return int(offset[1:3]) <= 23 and int(offset[4:6]) <= 59


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

"""The ranges a condition of a rule accepts: counts, windows of time and date values, as plain
Python values. Shared by the checks, the compiler and the tests' reference evaluator, so they
read the document the same way."""

import math
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from interactions.public import parse_rfc3339


def parse_instant(value: str) -> datetime | None:
    """A date or RFC 3339 date-time as an aware UTC datetime (a date is its midnight UTC)."""
    parsed = parse_rfc3339(value)
    if parsed is not None:
        return parsed.astimezone(UTC)
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    if len(value) != 10:
        return None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def checked_instant(value: str) -> datetime:
    """A ``date-time`` of a document that passed the JSON Schema's format check."""
    parsed = parse_rfc3339(value)
    assert parsed is not None  # noqa: S101 - the JSON Schema's format check passed
    return parsed


def count_range(count: Mapping[str, Any] | None) -> tuple[int, float]:
    """The inclusive range [low, high] of counts a count condition accepts (default: >= 1)."""
    if count is None:
        return 1, math.inf
    op = count["op"]
    if op == ">=":
        return count["value"], math.inf
    if op == "<=":
        return 0, count["value"]
    if op == "=":
        return count["value"], count["value"]
    return count["min"], count["max"]


def window_bounds(
    window: Mapping[str, Any] | None, *, now: datetime
) -> tuple[datetime | None, datetime | None]:
    """The inclusive (start, end) of a window; None for an open side."""
    if window is None or window["type"] == "allTime":
        return None, None
    kind = window["type"]
    if kind == "lastDays":
        return now - timedelta(days=window["days"]), None
    if kind == "before":
        return None, checked_instant(window["date"])
    if kind == "after":
        return checked_instant(window["date"]), None
    return checked_instant(window["from"]), checked_instant(window["to"])

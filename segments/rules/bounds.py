"""The ranges a condition of a rule accepts: counts, windows of time, date and number values, as
plain Python values. Shared by the checks, the compiler and the tests' reference evaluator, so they
read the document the same way."""

import math
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from interactions.public import parse_rfc3339

# SQLite binds a Python int as a signed 64-bit integer (a bigger one raises OverflowError).
MAX_BOUND_INTEGER = 2**63 - 1


def bound_number(value: int | float) -> int | float:
    """A checked number (``is_number``: a double's range) as an order comparison binds it: an
    integer past 64 bits as the double nearest to it, since SQLite can't bind it, and reads such a
    JSON integer as a double itself. Such integers are not refused: a stored rule is read back
    from PostgreSQL's jsonb, which writes a float like 1e19 out as a 20-digit integer."""
    if isinstance(value, int) and abs(value) > MAX_BOUND_INTEGER:
        return float(value)
    return value


def checked_instant(value: str) -> datetime:
    """A ``date-time`` of a document that passed the JSON Schema's format check, in UTC."""
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

"""How staff pages and the admin show dates, times, numbers and positions: one format for all, in
the acting tenant's time zone and locale.

``TenantTimezoneMiddleware`` makes the tenant's display current for a request; templates reach
these functions through the ``when``, ``number``, ``money`` and ``position`` filters, the admin
through its date columns. Outside a request (or for a visitor with no tenant) the display is UTC
in British English, the tenants' default.
"""

import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_skeleton, format_time, get_datetime_format
from babel.numbers import format_currency, format_decimal

from interactions.formats import in_zone

DEFAULT_LOCALE = "en-GB"
EMPTY = "—"
EN_DASH = "\N{EN DASH}"


@dataclass(frozen=True)
class Display:
    zone: zoneinfo.ZoneInfo
    locale: Locale


@lru_cache(maxsize=64)
def _locale(tag: str) -> Locale:
    return Locale.parse(tag, sep="-")


@lru_cache(maxsize=256)
def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def locale_problem(tag: str) -> str | None:
    """Why ``tag`` can't be a tenant's locale (a BCP 47 tag such as ``en-GB``), or None."""
    try:
        _locale(tag)
    except (UnknownLocaleError, ValueError, TypeError):
        return f"{tag!r} is not a known locale; use a language tag such as en-GB, sv-SE or de-DE"
    return None


def display_for(*, timezone: str, locale: str) -> Display:
    """A tenant's display; an unknown zone or locale falls back to the default's."""
    try:
        zone = _zone(timezone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = _zone("UTC")
    return Display(zone=zone, locale=_locale(DEFAULT_LOCALE if locale_problem(locale) else locale))


_DEFAULT = display_for(timezone="UTC", locale=DEFAULT_LOCALE)
_current: ContextVar[Display] = ContextVar("display", default=_DEFAULT)


@contextmanager
def display_override(display: Display) -> Iterator[None]:
    """Show everything formatted inside the block with ``display``."""
    token = _current.set(display)
    try:
        yield
    finally:
        _current.reset(token)


def current_display() -> Display:
    return _current.get()


def day_text(value: date) -> str:
    """A day in the current locale, like "3 May 2024" (en-GB) or "3 maj 2024" (sv-SE)."""
    return format_skeleton("yMMMd", value, locale=current_display().locale)


def period_text(value: date, skeleton: str) -> str:
    """A day written by a CLDR skeleton in the current locale ("MMMd" gives "3 May", "yMMMM"
    "May 2024"), for a chart's periods."""
    return format_skeleton(skeleton, value, locale=current_display().locale)


def moment_text(value: datetime | date | None, *, date_only: bool = False) -> str:
    """A moment in the current time zone and locale, like "3 May 2024, 14:05"; a day alone for a
    date or when ``date_only``; "—" for None."""
    if value is None:
        return EMPTY
    if not isinstance(value, datetime):
        return day_text(value)
    display = current_display()
    local = in_zone(value, display.zone)
    if date_only:
        return day_text(local.date())
    clock = format_time(local, "short", tzinfo=local.tzinfo, locale=display.locale)
    pattern = str(get_datetime_format("medium", locale=display.locale))
    return pattern.replace("{1}", day_text(local.date())).replace("{0}", clock)


def number_text(value: int | float | Decimal | None) -> str:
    """A number grouped in the current locale (1,234,567.5 or 1 234 567,5); "—" for None."""
    if value is None:
        return EMPTY
    if isinstance(value, float) and value != value:  # NaN has no grouping
        return str(value)
    try:
        return format_decimal(value, locale=current_display().locale, decimal_quantization=False)
    except (ValueError, ArithmeticError):  # infinities
        return str(value)


def money_text(amount: int | float | Decimal | None, currency: str) -> str:
    """An amount of ``currency`` (an ISO 4217 code) in the current locale, with the currency's
    symbol and digits: "SEK1,899.00" (en-GB), "1 899,00 kr" (sv-SE); the amount grouped with the
    code after it when Babel can't write it; "—" for None."""
    if amount is None:
        return EMPTY
    if not currency:
        return number_text(amount)
    try:
        return format_currency(amount, currency, locale=current_display().locale)
    except (ValueError, ArithmeticError, KeyError):
        return f"{number_text(amount)} {currency}"


def position_text(page: Any) -> str:
    """Where a Django ``Page`` lies in its list: "26-50 of 70" (with an en dash), "70 of 70" for
    a page of one, "0 of 0" when the list is empty."""
    count = page.paginator.count
    if not count:
        return f"0 of {number_text(0)}"
    first, last = page.start_index(), page.end_index()
    span = number_text(first)
    if last != first:
        span += EN_DASH + number_text(last)
    return f"{span} of {number_text(count)}"

"""Formatting for the contact pages: payload values by their schema type and format, and times in
the tenant's time zone.

Every filter returns plain text, which the template then escapes: values come from tenants and are
never marked safe here.
"""

import math
import zoneinfo
from datetime import date, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from django import template

from interactions.formats import in_zone, parse_rfc3339
from interactions.selectors.contact_card import PropertyValue

register = template.Library()

EMPTY = "—"


@lru_cache(maxsize=256)
def _zone_named(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def _zone(tz: Any) -> zoneinfo.ZoneInfo:
    if isinstance(tz, zoneinfo.ZoneInfo):
        return tz
    try:
        return _zone_named(str(tz or "UTC"))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return _zone_named("UTC")


def readable_date(value: date) -> str:
    """Like "3 May 2024"."""
    return f"{value.day} {value:%b %Y}"


def readable_datetime(value: datetime, tz: Any) -> str:
    """Like "3 May 2024, 14:05", in the time zone ``tz`` (a ZoneInfo or its name)."""
    local = in_zone(value, _zone(tz))
    return f"{readable_date(local)}, {local:%H:%M}"


def readable_number(value: int | float, type_name: str = "number") -> str:
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value.is_integer() and (type_name == "integer" or abs(value) < 1e15):
            return f"{int(value):,}"
    return f"{value:,}"


def format_value(value: Any, *, type_name: str, format_name: str | None, tz: Any) -> str:
    """A payload value as text: booleans as yes/no, numbers grouped, date-times in ``tz`` and
    dates readably; anything else as it is."""
    if value is None:
        return EMPTY
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return readable_number(value, type_name)
    if isinstance(value, str):
        if format_name == "date-time":
            parsed = parse_rfc3339(value)
            return readable_datetime(parsed, tz) if parsed else value
        if format_name == "date":
            try:
                return readable_date(date.fromisoformat(value))
            except ValueError:
                return value
        return value
    return str(value)


@register.filter
def property_value(prop: PropertyValue, tz: Any) -> str:
    """``{{ prop|property_value:card.timezone }}``: a card property's value, formatted."""
    return format_value(prop.value, type_name=prop.type, format_name=prop.format, tz=tz)


@register.filter
def tenant_datetime(value: datetime | None, tz: Any) -> str:
    """``{{ interaction.created_date|tenant_datetime:card.timezone }}``."""
    if value is None:
        return EMPTY
    return readable_datetime(value, tz)


@register.filter
def tenant_date(value: datetime | date | None, tz: Any) -> str:
    """The day a moment falls on in ``tz`` (or a date as it is), like "3 May 2024"."""
    if value is None:
        return EMPTY
    if isinstance(value, datetime):
        return readable_date(in_zone(value, _zone(tz)).date())
    return readable_date(value)


@register.filter
def http_url(value: Any) -> str:
    """``value`` if it is an http(s) URL that may be a link's target, else "" (so ``javascript:``,
    ``data:`` and the like stay text)."""
    if not isinstance(value, str) or any(ord(ch) < 33 or ord(ch) == 127 for ch in value):
        return ""
    try:
        parts = urlsplit(value)
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return ""
    return value

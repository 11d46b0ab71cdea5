"""Formatting for staff pages: moments, numbers, prices and list positions in the acting tenant's
time zone and locale (``interactions.display``), and payload values by their schema type and format.

Every filter returns plain text, which the template then escapes: values come from tenants and are
never marked safe here.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from django import template

from interactions.display import (
    EMPTY,
    day_text,
    moment_text,
    money_text,
    number_text,
    position_text,
)
from interactions.formats import parse_rfc3339
from interactions.selectors.contact_card import PropertyValue

register = template.Library()


def format_value(value: Any, *, type_name: str, format_name: str | None) -> str:
    """A payload value as text: booleans as yes/no, numbers grouped, date-times and dates as
    every moment is shown; anything else as it is."""
    if value is None:
        return EMPTY
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return number_text(value)
    if isinstance(value, str):
        if format_name == "date-time":
            parsed = parse_rfc3339(value)
            return moment_text(parsed) if parsed else value
        if format_name == "date":
            try:
                return day_text(date.fromisoformat(value))
            except ValueError:
                return value
        return value
    return str(value)


@register.filter
def property_value(prop: PropertyValue) -> str:
    """``{{ prop|property_value }}``: a card property's value, formatted."""
    return format_value(prop.value, type_name=prop.type, format_name=prop.format)


@register.filter
def when(value: datetime | date | None, part: str = "") -> str:
    """The one way a page shows a moment: ``{{ run.created_at|when }}`` gives "3 May 2024, 14:05"
    in the acting tenant's time zone and locale; ``{{ contact.created_on|when:"date" }}`` the day
    alone; "—" for None."""
    return moment_text(value, date_only=part == "date")


@register.filter
def number(value: int | float | None) -> str:
    """``{{ segment.member_count|number }}``: grouped in the tenant's locale ("12,345")."""
    return number_text(value)


@register.filter
def money(amount: int | float | Decimal | None, currency: str = "") -> str:
    """``{{ product.price_amount|money:product.price_currency }}``: a price in the tenant's locale,
    with its currency's symbol ("1 899,00 kr" in sv-SE); "—" for None."""
    return money_text(amount, currency)


@register.filter
def position(page: Any) -> str:
    """``{{ page|position }}``: where a Django ``Page`` lies in its list ("26-50 of 70", with an
    en dash)."""
    return position_text(page)


@register.inclusion_tag("interactions/_pager.html")
def pager(page: Any, previous_url: str, next_url: str, label: str = "Pages") -> dict[str, Any]:
    """``{% pager page previous_url next_url %}``: Previous, the position, Next, for any list
    paged with Django's ``Paginator``; nothing but the position when it fits on one page."""
    return {"page": page, "previous_url": previous_url, "next_url": next_url, "label": label}


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

"""What a product document on the wire may hold, and the problems with one that breaks the rules.

Pure (no database): the API, the bulk route and the import command judge documents the same way.
"""

import math
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from engage_site.api.problems import Problem

MAX_SKU_LENGTH = 128
MAX_NAME_LENGTH = 500
MAX_BRAND_LENGTH = 200
MAX_CATEGORY_LENGTH = 200
MAX_CATEGORY_DEPTH = 10
MAX_URL_LENGTH = 2048
MAX_ATTRIBUTES = 100
MAX_ATTRIBUTE_NAME_LENGTH = 100
MAX_ATTRIBUTE_VALUE_LENGTH = 1000
# A price fits DecimalField(max_digits=16, decimal_places=4), with room to spare: SQLite keeps it
# as a double, and reads it back with 16 digits (17 significant digits would not fit).
MAX_PRICE = Decimal("9999999999.9999")
PRICE_PLACES = 4

FIELDS = {
    "sku",
    "name",
    "brand",
    "categories",
    "price",
    "imageUrl",
    "url",
    "attributes",
    "active",
}
# What a GET answers beyond the fields: sent back in a PUT, they are ignored, not refused.
READ_ONLY = {"created", "updated"}
CURRENCY = re.compile(r"[A-Z]{3}")
_URL = URLValidator(schemes=["http", "https"])


@dataclass
class ProductFacts:
    """A valid product document, in the model's terms."""

    sku: str
    name: str
    brand: str = ""
    categories: list[str] = field(default_factory=list)
    price_amount: Decimal | None = None
    price_currency: str = ""
    image_url: str = ""
    url: str = ""
    attributes: dict[str, str | int | float | bool] = field(default_factory=dict)
    active: bool = True

    @property
    def category_keys(self) -> str:
        return "".join(f"\n{name}" for name in self.categories) + "\n" if self.categories else ""


def _has_control(text: str) -> bool:
    return any(ord(character) < 32 or ord(character) == 127 for character in text)


def _text_problems(
    field_name: str, value: Any, *, most: int, required: bool = False
) -> list[Problem]:
    if not isinstance(value, str):
        return [Problem(field_name, "type", "must be a string")]
    if required and not value.strip():
        return [Problem(field_name, "minLength", "must not be empty")]
    if len(value) > most:
        return [Problem(field_name, "maxLength", f"must be at most {most} characters")]
    if _has_control(value):
        return [Problem(field_name, "invalid", "must not contain control characters")]
    return []


def sku_problems(sku: Any, field_name: str = "sku") -> list[Problem]:
    if not isinstance(sku, str):
        return [Problem(field_name, "type", "must be a string")]
    if not sku:
        return [Problem(field_name, "minLength", "must be at least 1 character")]
    if len(sku) > MAX_SKU_LENGTH:
        return [Problem(field_name, "maxLength", f"must be at most {MAX_SKU_LENGTH} characters")]
    if _has_control(sku):
        return [Problem(field_name, "invalid", "must not contain control characters")]
    return []


def _categories_problems(value: Any) -> list[Problem]:
    if not isinstance(value, list):
        return [Problem("categories", "type", "must be an array of strings, broadest first")]
    if len(value) > MAX_CATEGORY_DEPTH:
        return [Problem("categories", "limit", f"must hold at most {MAX_CATEGORY_DEPTH} levels")]
    problems: list[Problem] = []
    for index, name in enumerate(value):
        problems += _text_problems(
            f"categories.{index}", name, most=MAX_CATEGORY_LENGTH, required=True
        )
    return problems


def _price(value: Any) -> tuple[Decimal | None, str, list[Problem]]:
    if not isinstance(value, dict):
        return None, "", [Problem("price", "type", "must be an object with amount and currency")]
    problems = [
        Problem(f"price.{name}", "unknown", "is not a field of a price")
        for name in value
        if name not in ("amount", "currency")
    ]
    amount, currency = value.get("amount"), value.get("currency")
    parsed: Decimal | None = None
    if amount is None:
        problems.append(Problem("price.amount", "required", "is required"))
    elif isinstance(amount, bool) or not isinstance(amount, int | float):
        problems.append(Problem("price.amount", "type", "must be a number"))
    elif isinstance(amount, float) and not math.isfinite(amount):
        problems.append(Problem("price.amount", "type", "must be a finite number"))
    else:
        try:
            parsed = Decimal(str(amount))
        except InvalidOperation:  # pragma: no cover - str() of a finite number always parses
            problems.append(Problem("price.amount", "type", "must be a number"))
        else:
            if parsed < 0:
                problems.append(Problem("price.amount", "minimum", "must be at least 0"))
            elif parsed > MAX_PRICE:
                problems.append(Problem("price.amount", "maximum", f"must be at most {MAX_PRICE}"))
            elif -parsed.as_tuple().exponent > PRICE_PLACES:  # type: ignore[operator]
                problems.append(
                    Problem("price.amount", "invalid", f"must have at most {PRICE_PLACES} decimals")
                )
    if currency is None:
        problems.append(Problem("price.currency", "required", "is required"))
    elif not isinstance(currency, str):
        problems.append(Problem("price.currency", "type", "must be a string"))
    elif not CURRENCY.fullmatch(currency):
        problems.append(
            Problem("price.currency", "pattern", "must be an ISO 4217 code of 3 capital letters")
        )
    if problems:
        return None, "", problems
    return parsed, str(currency), []


def _url_problems(field_name: str, value: Any) -> list[Problem]:
    problems = _text_problems(field_name, value, most=MAX_URL_LENGTH)
    if problems:
        return problems
    try:
        _URL(value)
    except ValidationError:
        return [Problem(field_name, "format", "must be an http or https URL")]
    return []


def _attributes_problems(value: Any) -> list[Problem]:
    if not isinstance(value, dict):
        return [Problem("attributes", "type", "must be an object")]
    if len(value) > MAX_ATTRIBUTES:
        return [Problem("attributes", "limit", f"must hold at most {MAX_ATTRIBUTES} attributes")]
    problems: list[Problem] = []
    for name, item in value.items():
        where = f"attributes.{name}"
        if not name or len(name) > MAX_ATTRIBUTE_NAME_LENGTH or _has_control(name):
            problems.append(
                Problem(
                    where,
                    "invalid",
                    f"names must be 1 to {MAX_ATTRIBUTE_NAME_LENGTH} characters, "
                    "without control characters",
                )
            )
        elif isinstance(item, str):
            if len(item) > MAX_ATTRIBUTE_VALUE_LENGTH:
                problems.append(
                    Problem(
                        where,
                        "maxLength",
                        f"must be at most {MAX_ATTRIBUTE_VALUE_LENGTH} characters",
                    )
                )
        elif not isinstance(item, bool | int | float):
            problems.append(Problem(where, "type", "must be a string, a number or a boolean"))
    return problems


def product_facts(document: Any) -> tuple[ProductFacts | None, list[Problem]]:
    """The facts of ``document``, or None and every problem with it."""
    if not isinstance(document, dict):
        return None, [Problem("body", "type", "must be a JSON object (a product)")]
    problems = [
        Problem(name, "unknown", "is not a field of a product")
        for name in document
        if name not in FIELDS and name not in READ_ONLY
    ]
    problems += sku_problems(document.get("sku")) if "sku" in document else []
    if "sku" not in document:
        problems.append(Problem("sku", "required", "is required"))
    if "name" not in document:
        problems.append(Problem("name", "required", "is required"))
    else:
        problems += _text_problems("name", document["name"], most=MAX_NAME_LENGTH, required=True)
    brand = document.get("brand")
    if brand is not None:
        problems += _text_problems("brand", brand, most=MAX_BRAND_LENGTH)
    categories = document.get("categories")
    if categories is not None:
        problems += _categories_problems(categories)
    amount, currency = None, ""
    if document.get("price") is not None:
        amount, currency, price_problems = _price(document["price"])
        problems += price_problems
    for wire in ("imageUrl", "url"):
        if document.get(wire) is not None:
            problems += _url_problems(wire, document[wire])
    attributes = document.get("attributes")
    if attributes is not None:
        problems += _attributes_problems(attributes)
    active = document.get("active", True)
    if not isinstance(active, bool):
        problems.append(Problem("active", "type", "must be true or false"))
    if problems:
        return None, problems
    return ProductFacts(
        sku=document["sku"],
        name=document["name"],
        brand=brand or "",
        categories=list(categories or []),
        price_amount=amount,
        price_currency=currency,
        image_url=document.get("imageUrl") or "",
        url=document.get("url") or "",
        attributes=dict(attributes or {}),
        active=active,
    ), []

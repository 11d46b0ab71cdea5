"""Pure trigger logic: does a received interaction match an automation's trigger?

No ORM queries: the subscriber builds a :class:`TriggerSpec` from an automation and asks
:func:`interaction_matches`; forms and the API check a condition with :func:`condition_problems`.

A "New specific interaction" condition may also name a field of the product the interaction's
``productSku`` names (``product.brand``, ``product.category``, ``product.price``,
``product.price.currency``, ``product.attributes.<name>``), for a schema that has ``productSku``.
The subscriber looks the product up when it judges the trigger and hands its wire shape here;
the condition holds when any of the product's values for the field does (a category at any level
of the path), and never when there is no product or it lacks the field.

Values are read with the core's readers (``is_number``, ``parse_rfc3339``, ``parse_date``), the
same that kept them in the payload: a condition holds only values every layer can hold, and a
stored value outside them (kept before the bounds existed) matches nothing, never raises.
"""

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from engage_site.api.problems import Problem
from interactions.public import (
    DATE_TIME_RANGE,
    NUMBER_RANGE,
    date_time_out_of_range,
    is_number,
    parse_date,
    parse_rfc3339,
)

NEW_INTERACTION = "new_interaction"
SPECIFIC_INTERACTION = "specific_interaction"
EQUALS, ONE_OF = "equals", "one_of"
COMPARISONS = ("gt", "gte", "lt", "lte")
OPERATORS = (EQUALS, ONE_OF, *COMPARISONS)
MAX_ONE_OF_VALUES = 100

# Product fields a condition may name, with the type they compare as; an attribute compares as
# the type of the condition's value (a number with numbers, text with text, yes/no with yes/no).
PRODUCT_FIELDS = {
    "product.brand": "string",
    "product.category": "string",
    "product.price": "number",
    "product.price.currency": "string",
}
PRODUCT_ATTRIBUTES = "product.attributes."
PRODUCT_FIELD_NAMES = (*PRODUCT_FIELDS, PRODUCT_ATTRIBUTES + "<name>")


@dataclass(frozen=True)
class TriggerSpec:
    kind: str
    # NEW_INTERACTION: the schema rows that fire it; empty means any.
    schema_pks: frozenset[int] = frozenset()
    # SPECIFIC_INTERACTION: the schema row, the property, its declared type/format, the condition.
    schema_pk: int | None = None
    property_name: str = ""
    property_type: str = "string"
    property_format: str | None = None
    operator: str = EQUALS
    value: Any = None
    # The property is a field of the interaction's product, not of its payload.
    product_field: bool = False


def value_type(value: Any) -> str:
    """The type a condition's value is of (a list's first item for "is one of")."""
    first = value[0] if isinstance(value, list) and value else value
    if isinstance(first, bool):
        return "boolean"
    return "number" if isinstance(first, int | float) else "string"


def product_field_type(name: str, value: Any) -> str | None:
    """The type a condition on the product field ``name`` compares as, or None when ``name``
    names no product field."""
    if name in PRODUCT_FIELDS:
        return PRODUCT_FIELDS[name]
    if name.startswith(PRODUCT_ATTRIBUTES) and len(name) > len(PRODUCT_ATTRIBUTES):
        return value_type(value)
    return None


def product_value(product: Mapping[str, Any] | None, name: str) -> Any:
    """The product's value of the field ``name`` (its wire shape: the category path is a list),
    or None when there is no product or it lacks the field."""
    if product is None:
        return None
    price = product.get("price") or {}
    if name == "product.brand":
        return product.get("brand")
    if name == "product.category":
        return list(product.get("categories") or []) or None
    if name == "product.price":
        return price.get("amount")
    if name == "product.price.currency":
        return price.get("currency")
    if name.startswith(PRODUCT_ATTRIBUTES):
        return (product.get("attributes") or {}).get(name[len(PRODUCT_ATTRIBUTES) :])
    return None


def _comparable(value: Any, type_name: str, format_name: str | None) -> Any:
    """The value in a form that compares the way the property's type means (numbers as floats,
    date-times as instants in UTC), or None; never raises, whatever the value."""
    if type_name in ("number", "integer"):
        return float(value) if is_number(value) else None
    if type_name == "boolean":
        return value if isinstance(value, bool) else None
    if not isinstance(value, str):
        return None
    if format_name == "date-time":
        return parse_rfc3339(value)
    if format_name == "date":
        return parse_date(value)
    return value


def is_ordered(type_name: str, format_name: str | None) -> bool:
    """Whether values of this type can be compared with greater/less than (numbers and dates)."""
    return type_name in ("number", "integer") or format_name in ("date", "date-time")


def interaction_matches(
    spec: TriggerSpec,
    *,
    schema_pk: int,
    payload: Mapping[str, Any],
    product: Mapping[str, Any] | None = None,
) -> bool:
    """Whether an interaction of ``schema_pk`` with ``payload`` fires the trigger; ``product`` is
    the wire shape of the product its ``productSku`` names (None: none, or not looked up)."""
    if spec.kind == NEW_INTERACTION:
        return not spec.schema_pks or schema_pk in spec.schema_pks
    if spec.kind != SPECIFIC_INTERACTION or schema_pk != spec.schema_pk:
        return False
    if spec.product_field:
        found = product_value(product, spec.property_name)
        levels = found if spec.property_name == "product.category" and found else [found]
        return any(_holds(spec, level) for level in levels if level is not None)
    if spec.property_name not in payload:
        return False
    return _holds(spec, payload[spec.property_name])


def _holds(spec: TriggerSpec, value: Any) -> bool:
    """Whether the condition holds for one value of the property."""
    actual = _comparable(value, spec.property_type, spec.property_format)
    if actual is None:
        return False
    if spec.operator == ONE_OF:
        candidates = spec.value if isinstance(spec.value, list) else []
        return any(
            actual == _comparable(candidate, spec.property_type, spec.property_format)
            for candidate in candidates
        )
    expected = _comparable(spec.value, spec.property_type, spec.property_format)
    if expected is None:
        return False
    if spec.operator == EQUALS:
        return bool(actual == expected)
    if not is_ordered(spec.property_type, spec.property_format):
        return False
    try:
        if spec.operator == "gt":
            return bool(actual > expected)
        if spec.operator == "gte":
            return bool(actual >= expected)
        if spec.operator == "lt":
            return bool(actual < expected)
        if spec.operator == "lte":
            return bool(actual <= expected)
    except TypeError:  # values of two kinds; the readers above never give those, kept as a guard
        return False
    return False


def condition_problems(
    *, operator: str, value: Any, property_type: str, property_format: str | None
) -> list[Problem]:
    """What is wrong with a condition on a property of this type (empty when it is fine)."""
    if operator not in OPERATORS:
        return [Problem("operator", "enum", f"must be one of {', '.join(OPERATORS)}")]
    if operator in COMPARISONS and not is_ordered(property_type, property_format):
        return [
            Problem("operator", "invalid", "greater/less than applies to numbers and dates only")
        ]
    values = value if operator == ONE_OF else [value]
    if operator == ONE_OF and (not isinstance(value, list) or not value):
        return [Problem("value", "type", "must be a non-empty list")]
    if len(values) > MAX_ONE_OF_VALUES:
        return [Problem("value", "limit", f"must have at most {MAX_ONE_OF_VALUES} values")]
    for candidate in values:
        if _comparable(candidate, property_type, property_format) is None:
            return [_value_problem(candidate, property_type, property_format)]
    return []


def _value_problem(value: Any, property_type: str, property_format: str | None) -> Problem:
    """Why a condition's value can't be compared with the property."""
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    if property_type in ("number", "integer") and numeric:
        return Problem("value", "invalid", f"must be {NUMBER_RANGE}")
    if property_format == "date-time" and isinstance(value, str) and date_time_out_of_range(value):
        return Problem("value", "format", f"must be {DATE_TIME_RANGE}")
    kind = property_format or property_type
    return Problem("value", "type", f"must be a {kind} value, not {_shown(value)}")


def _shown(value: Any) -> str:
    """A value as JSON for a message, cut short (a number may have a thousand digits)."""
    text = json.dumps(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


def value_key(value: Any) -> str:
    """A canonical text for a property value, for the "once per contact per value" claim."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def schemas_named(spec: TriggerSpec) -> Collection[int]:
    return spec.schema_pks if spec.kind == NEW_INTERACTION else {spec.schema_pk or 0}

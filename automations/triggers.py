"""Pure trigger logic: does a received interaction match an automation's trigger?

No ORM and no Django: the subscriber builds a :class:`TriggerSpec` from an automation and asks
:func:`interaction_matches`; forms and the API check a condition with :func:`condition_problems`.
"""

import json
import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from engage_site.api.problems import Problem

NEW_INTERACTION = "new_interaction"
SPECIFIC_INTERACTION = "specific_interaction"
EQUALS, ONE_OF = "equals", "one_of"
COMPARISONS = ("gt", "gte", "lt", "lte")
OPERATORS = (EQUALS, ONE_OF, *COMPARISONS)
MAX_ONE_OF_VALUES = 100


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


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _comparable(value: Any, type_name: str, format_name: str | None) -> Any:
    """The value in a form that compares the way the property's type means, or None."""
    if type_name in ("number", "integer"):
        return float(value) if _is_number(value) else None
    if type_name == "boolean":
        return value if isinstance(value, bool) else None
    if not isinstance(value, str):
        return None
    if format_name == "date-time":
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo is not None else None
    if format_name == "date":
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return value


def is_ordered(type_name: str, format_name: str | None) -> bool:
    """Whether values of this type can be compared with greater/less than (numbers and dates)."""
    return type_name in ("number", "integer") or format_name in ("date", "date-time")


def interaction_matches(spec: TriggerSpec, *, schema_pk: int, payload: Mapping[str, Any]) -> bool:
    if spec.kind == NEW_INTERACTION:
        return not spec.schema_pks or schema_pk in spec.schema_pks
    if spec.kind != SPECIFIC_INTERACTION or schema_pk != spec.schema_pk:
        return False
    if spec.property_name not in payload:
        return False
    actual = _comparable(payload[spec.property_name], spec.property_type, spec.property_format)
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
    except TypeError:  # a naive and an aware date-time, or a date and a date-time
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
            kind = property_format or property_type
            return [
                Problem("value", "type", f"must be a {kind} value, not {json.dumps(candidate)}")
            ]
    return []


def value_key(value: Any) -> str:
    """A canonical text for a property value, for the "once per contact per value" claim."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def schemas_named(spec: TriggerSpec) -> Collection[int]:
    return spec.schema_pks if spec.kind == NEW_INTERACTION else {spec.schema_pk or 0}

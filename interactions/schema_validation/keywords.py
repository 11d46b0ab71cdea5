"""The rules for one property of a schema document: one small checker per keyword.

``property_problems`` runs the checkers of the keywords a property uses, in the order of
``KEYWORD_CHECKS``, which is also the order its problems are reported in.
"""

import json
from collections.abc import Callable
from typing import Any

from engage_site.api.problems import Problem
from interactions.formats import FORMAT_CHECKS
from interactions.schema_validation.vocabulary import (
    MAX_ENUM_VALUES,
    MAX_LENGTH_BOUND,
    MAX_PATTERN_LENGTH,
    NUMBER_RANGE,
    PROPERTY_TYPES,
    RESERVED_PRODUCT_SKU,
    TYPE_NAMES,
    compile_pattern,
    is_number,
    is_numeric,
    matches_type,
    read_flag,
    read_sort_order,
)

# (the keyword's value, the property's declared type, the keyword's path) -> its problems
KeywordCheck = Callable[[Any, Any, str], list[Problem]]


def _check_format(value: Any, type_name: Any, path: str) -> list[Problem]:
    if type_name != "string":
        return [Problem(path, "invalid", "applies only to strings")]
    if value not in FORMAT_CHECKS:
        return [Problem(path, "invalid", f"must be one of {', '.join(FORMAT_CHECKS)}")]
    return []


def _check_enum(values: Any, type_name: Any, path: str) -> list[Problem]:
    if not isinstance(values, list) or not values:
        return [Problem(path, "type", "must be a non-empty array")]
    if len(values) > MAX_ENUM_VALUES:
        return [Problem(path, "limit", f"must have at most {MAX_ENUM_VALUES} values")]
    problems = []
    for index, value in enumerate(values):
        if is_numeric(value) and not is_number(value):
            problems.append(Problem(f"{path}.{index}", "invalid", f"must be {NUMBER_RANGE}"))
        elif type_name in PROPERTY_TYPES and not matches_type(value, type_name):
            problems.append(Problem(f"{path}.{index}", "type", f"must be {TYPE_NAMES[type_name]}"))
    canonical = [json.dumps(value, sort_keys=True) for value in values]
    if len(set(canonical)) != len(canonical):
        problems.append(Problem(path, "invalid", "must not repeat a value"))
    return problems


def _check_bound(value: Any, type_name: Any, path: str) -> list[Problem]:
    """minimum, maximum, exclusiveMinimum, exclusiveMaximum."""
    if type_name not in ("number", "integer"):
        return [Problem(path, "invalid", "applies only to numbers")]
    if is_numeric(value) and not is_number(value):
        return [Problem(path, "invalid", f"must be {NUMBER_RANGE}")]
    if not is_number(value):
        return [Problem(path, "type", "must be a number")]
    return []


def _check_length(value: Any, type_name: Any, path: str) -> list[Problem]:
    """minLength, maxLength."""
    if type_name != "string":
        return [Problem(path, "invalid", "applies only to strings")]
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return [Problem(path, "type", "must be a whole number, 0 or more")]
    if value > MAX_LENGTH_BOUND:
        return [Problem(path, "maximum", f"must be at most {MAX_LENGTH_BOUND}")]
    return []


def _check_pattern(pattern: Any, type_name: Any, path: str) -> list[Problem]:
    if type_name != "string":
        return [Problem(path, "invalid", "applies only to strings")]
    if not isinstance(pattern, str):
        return [Problem(path, "type", "must be a string")]
    if len(pattern) > MAX_PATTERN_LENGTH:
        return [Problem(path, "limit", f"must be at most {MAX_PATTERN_LENGTH} characters")]
    try:
        compile_pattern(pattern)
    except ValueError as error:
        return [
            Problem(
                path,
                "pattern",
                f"can't be evaluated in linear time (RE2 syntax, no look-around or "
                f"back-references): {error}",
            )
        ]
    return []


def _check_text(value: Any, type_name: Any, path: str) -> list[Problem]:
    """title, description, displayName."""
    if not isinstance(value, str):
        return [Problem(path, "type", "must be a string")]
    return []


def _check_sort_order(value: Any, type_name: Any, path: str) -> list[Problem]:
    if read_sort_order(value) is None:
        return [Problem(path, "type", "must be an integer (or a string holding one)")]
    return []


def _check_flag(value: Any, type_name: Any, path: str) -> list[Problem]:
    """showInContactCard, addToSegmentation."""
    if read_flag(value) is None:
        return [Problem(path, "type", 'must be true or false (or "true"/"false")')]
    return []


# Every keyword a property may use besides "type" (checked first, as it is required).
KEYWORD_CHECKS: dict[str, KeywordCheck] = {
    "format": _check_format,
    "enum": _check_enum,
    "minimum": _check_bound,
    "maximum": _check_bound,
    "exclusiveMinimum": _check_bound,
    "exclusiveMaximum": _check_bound,
    "minLength": _check_length,
    "maxLength": _check_length,
    "pattern": _check_pattern,
    "title": _check_text,
    "description": _check_text,
    "displayName": _check_text,
    "sortOrder": _check_sort_order,
    "showInContactCard": _check_flag,
    "addToSegmentation": _check_flag,
}
PROPERTY_KEYWORDS = ("type", *KEYWORD_CHECKS)


def _check_type(name: str, spec: dict[str, Any], path: str) -> list[Problem]:
    if "type" not in spec:
        problems = [Problem(path, "required", "is required")]
    elif spec["type"] not in PROPERTY_TYPES:
        problems = [Problem(path, "invalid", "must be one of string, number, integer, boolean")]
    else:
        problems = []
    if name == RESERVED_PRODUCT_SKU and spec.get("type") != "string":
        problems.append(Problem(path, "invalid", 'must be "string": productSku is reserved'))
    return problems


def property_problems(name: str, spec: Any, path: str) -> list[Problem]:
    """Every way the property ``name``, declared as ``spec`` at ``path``, breaks the rules."""
    if not isinstance(spec, dict):
        return [Problem(path, "type", "must be an object describing the property")]
    problems = [
        Problem(f"{path}.{keyword}", "unknown", "is not an allowed keyword for a property")
        for keyword in spec
        if keyword not in PROPERTY_KEYWORDS
    ]
    problems += _check_type(name, spec, f"{path}.type")
    type_name = spec.get("type")
    for keyword, check in KEYWORD_CHECKS.items():
        if keyword in spec:
            problems += check(spec[keyword], type_name, f"{path}.{keyword}")
    return problems

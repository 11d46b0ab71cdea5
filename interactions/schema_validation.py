"""Interaction schemas: the rules a schema document must follow, and checking payloads against it.

Pure code (no Django, no database) so it is testable in milliseconds and usable from the API, the
admin's schema builder and background jobs alike.

A schema is an allow-listed subset of JSON Schema draft 2020-12: one flat object of scalar
properties. Nothing in it can reference another document, so validating a payload never fetches a
URL or reads a file, and patterns are compiled with RE2, which runs in linear time.
"""

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import re2
from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema.exceptions import SchemaError, ValidationError

from engage_site.api.problems import Problem
from interactions.formats import FORMAT_CHECKS, FORMAT_DESCRIPTIONS

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
PROPERTY_TYPES = ("string", "number", "integer", "boolean")
TOP_KEYWORDS = ("$schema", "type", "properties", "required", "title", "description")
CONSTRAINT_KEYWORDS = (
    "type",
    "format",
    "enum",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
)
DISPLAY_KEYWORDS = ("displayName", "sortOrder", "showInContactCard", "addToSegmentation")
PROPERTY_KEYWORDS = (*CONSTRAINT_KEYWORDS, "title", "description", *DISPLAY_KEYWORDS)
NUMERIC_KEYWORDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
LENGTH_KEYWORDS = ("minLength", "maxLength")
RESERVED_PRODUCT_SKU = "productSku"
MAX_PROPERTY_NAME_LENGTH = 128
MAX_PATTERN_LENGTH = 1000
MAX_ENUM_VALUES = 1000
SCHEMA_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")

# Codes for dropped properties and refusals; the wire contract documents this set.
_KEYWORD_CODES = {
    "type": "type",
    "format": "format",
    "enum": "enum",
    "minimum": "minimum",
    "exclusiveMinimum": "minimum",
    "maximum": "maximum",
    "exclusiveMaximum": "maximum",
    "minLength": "minLength",
    "maxLength": "maxLength",
    "pattern": "pattern",
}
_TYPE_NAMES = {
    "string": "a string",
    "number": "a number",
    "integer": "an integer",
    "boolean": "a boolean",
}


@dataclass(frozen=True)
class SchemaLimits:
    max_bytes: int = 64 * 1024
    max_properties: int = 100
    max_segmentable_properties: int = 6


@dataclass(frozen=True)
class PropertyDisplay:
    """How a property is shown: its display keywords read into plain values."""

    name: str
    type: str
    format: str | None
    display_name: str
    sort_order: int
    show_in_contact_card: bool
    add_to_segmentation: bool


@dataclass(frozen=True)
class PayloadSplit:
    """A payload sorted out: what is kept, what is dropped (and why), and what refuses it."""

    kept: dict[str, Any]
    dropped: list[Problem]
    violations: list[Problem]


# --- Reading display keywords, which arrive as strings ("true", "0") or as JSON values -----------


def is_schema_id(value: Any) -> bool:
    """Whether ``value`` can be a schema id: 1-64 letters, digits, '-' or '_' (case-sensitive)."""
    return isinstance(value, str) and SCHEMA_ID.fullmatch(value) is not None


def read_flag(value: Any) -> bool | None:
    """A display flag as a bool, or None if it is neither a boolean nor "true"/"false"."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def read_sort_order(value: Any) -> int | None:
    """A sortOrder as an int, or None if it is neither an integer nor a string holding one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def describe_properties(document: Mapping[str, Any]) -> list[PropertyDisplay]:
    """The display hints of a valid schema's properties, in sortOrder (then declaration) order."""
    described = []
    for name, spec in document.get("properties", {}).items():
        described.append(
            PropertyDisplay(
                name=name,
                type=spec.get("type", "string"),
                format=spec.get("format"),
                display_name=str(spec.get("displayName") or spec.get("title") or name),
                sort_order=read_sort_order(spec.get("sortOrder", 0)) or 0,
                show_in_contact_card=bool(read_flag(spec.get("showInContactCard", False))),
                add_to_segmentation=bool(read_flag(spec.get("addToSegmentation", False))),
            )
        )
    return sorted(described, key=lambda prop: prop.sort_order)


# --- Checking a schema document ------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _matches_type(value: Any, type_name: str) -> bool:
    if type_name == "string":
        return isinstance(value, str)
    if type_name == "boolean":
        return isinstance(value, bool)
    if type_name == "integer":
        return _is_number(value) and float(value).is_integer()
    return _is_number(value)


def compile_pattern(pattern: str) -> Any:
    """The RE2 program for a pattern; raises ValueError if RE2 can't run it in linear time."""
    try:
        return re2.compile(pattern)
    except re2.error as error:
        raise ValueError(str(error)) from None


def _check_property(name: str, spec: Any, path: str) -> list[Problem]:
    if not isinstance(spec, dict):
        return [Problem(path, "type", "must be an object describing the property")]
    problems = [
        Problem(f"{path}.{keyword}", "unknown", "is not an allowed keyword for a property")
        for keyword in spec
        if keyword not in PROPERTY_KEYWORDS
    ]
    type_name = spec.get("type")
    if "type" not in spec:
        problems.append(Problem(f"{path}.type", "required", "is required"))
    elif type_name not in PROPERTY_TYPES:
        problems.append(
            Problem(f"{path}.type", "invalid", "must be one of string, number, integer, boolean")
        )
    if name == RESERVED_PRODUCT_SKU and type_name != "string":
        problems.append(
            Problem(f"{path}.type", "invalid", 'must be "string": productSku is reserved')
        )
    is_string = type_name == "string"
    is_numeric = type_name in ("number", "integer")

    if "format" in spec:
        if not is_string:
            problems.append(Problem(f"{path}.format", "invalid", "applies only to strings"))
        elif spec["format"] not in FORMAT_CHECKS:
            allowed = ", ".join(FORMAT_CHECKS)
            problems.append(Problem(f"{path}.format", "invalid", f"must be one of {allowed}"))
    if "enum" in spec:
        problems.extend(_check_enum(spec["enum"], type_name, f"{path}.enum"))
    for keyword in NUMERIC_KEYWORDS:
        if keyword not in spec:
            continue
        if not is_numeric:
            problems.append(Problem(f"{path}.{keyword}", "invalid", "applies only to numbers"))
        elif not _is_number(spec[keyword]):
            problems.append(Problem(f"{path}.{keyword}", "type", "must be a number"))
    for keyword in LENGTH_KEYWORDS:
        if keyword not in spec:
            continue
        value = spec[keyword]
        if not is_string:
            problems.append(Problem(f"{path}.{keyword}", "invalid", "applies only to strings"))
        elif isinstance(value, bool) or not isinstance(value, int) or value < 0:
            problems.append(
                Problem(f"{path}.{keyword}", "type", "must be a whole number, 0 or more")
            )
    if "pattern" in spec:
        problems.extend(_check_pattern(spec["pattern"], is_string, f"{path}.pattern"))
    for keyword in ("title", "description", "displayName"):
        if keyword in spec and not isinstance(spec[keyword], str):
            problems.append(Problem(f"{path}.{keyword}", "type", "must be a string"))
    if "sortOrder" in spec and read_sort_order(spec["sortOrder"]) is None:
        problems.append(
            Problem(f"{path}.sortOrder", "type", "must be an integer (or a string holding one)")
        )
    for keyword in ("showInContactCard", "addToSegmentation"):
        if keyword in spec and read_flag(spec[keyword]) is None:
            problems.append(
                Problem(f"{path}.{keyword}", "type", 'must be true or false (or "true"/"false")')
            )
    return problems


def _check_enum(values: Any, type_name: Any, path: str) -> list[Problem]:
    if not isinstance(values, list) or not values:
        return [Problem(path, "type", "must be a non-empty array")]
    if len(values) > MAX_ENUM_VALUES:
        return [Problem(path, "limit", f"must have at most {MAX_ENUM_VALUES} values")]
    problems = []
    if type_name in PROPERTY_TYPES:
        for index, value in enumerate(values):
            if not _matches_type(value, type_name):
                problems.append(
                    Problem(f"{path}.{index}", "type", f"must be {_TYPE_NAMES[type_name]}")
                )
    canonical = [json.dumps(value, sort_keys=True) for value in values]
    if len(set(canonical)) != len(canonical):
        problems.append(Problem(path, "invalid", "must not repeat a value"))
    return problems


def _check_pattern(pattern: Any, is_string: bool, path: str) -> list[Problem]:
    if not is_string:
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


def check_schema_document(document: Any, *, limits: SchemaLimits) -> list[Problem]:
    """Every way ``document`` breaks the rules for an interaction schema; empty when it is valid.

    Problems about size and counts have the code ``limit``.
    """
    root = "jsonSchema"
    if not isinstance(document, dict):
        return [Problem(root, "type", "must be a JSON object")]
    size = len(json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode())
    if size > limits.max_bytes:
        return [Problem(root, "limit", f"must be at most {limits.max_bytes} bytes, not {size}")]

    problems = [
        Problem(f"{root}.{keyword}", "unknown", "is not an allowed keyword at the top of a schema")
        for keyword in document
        if keyword not in TOP_KEYWORDS
    ]
    if "$schema" in document and document["$schema"] not in (SCHEMA_DIALECT, SCHEMA_DIALECT + "#"):
        problems.append(Problem(f"{root}.$schema", "invalid", f"must be {SCHEMA_DIALECT}"))
    if "type" not in document:
        problems.append(Problem(f"{root}.type", "required", "is required"))
    elif document["type"] != "object":
        problems.append(Problem(f"{root}.type", "invalid", 'must be "object"'))
    for keyword in ("title", "description"):
        if keyword in document and not isinstance(document[keyword], str):
            problems.append(Problem(f"{root}.{keyword}", "type", "must be a string"))

    properties = document.get("properties")
    if "properties" not in document:
        problems.append(Problem(f"{root}.properties", "required", "is required"))
        properties = {}
    elif not isinstance(properties, dict):
        problems.append(Problem(f"{root}.properties", "type", "must be an object"))
        properties = {}
    if len(properties) > limits.max_properties:
        problems.append(
            Problem(
                f"{root}.properties",
                "limit",
                f"must have at most {limits.max_properties} properties, not {len(properties)}",
            )
        )
        properties = {}
    for name, spec in properties.items():
        path = f"{root}.properties.{name}"
        if not name.strip() or len(name) > MAX_PROPERTY_NAME_LENGTH:
            problems.append(
                Problem(
                    path,
                    "invalid",
                    f"a property name must be 1 to {MAX_PROPERTY_NAME_LENGTH} characters",
                )
            )
        problems.extend(_check_property(name, spec, path))
    segmentable = [
        name
        for name, spec in properties.items()
        if isinstance(spec, dict) and read_flag(spec.get("addToSegmentation")) is True
    ]
    if len(segmentable) > limits.max_segmentable_properties:
        problems.append(
            Problem(
                f"{root}.properties",
                "limit",
                f"at most {limits.max_segmentable_properties} properties may have "
                f"addToSegmentation true, not {len(segmentable)}",
            )
        )
    problems.extend(_check_required(document, properties, f"{root}.required"))
    if not problems:
        problems.extend(_check_against_metaschema(document, root))
    return problems


def _check_required(
    document: dict[str, Any], properties: dict[str, Any], path: str
) -> list[Problem]:
    if "required" not in document:
        return []
    required = document["required"]
    if not isinstance(required, list) or not all(isinstance(name, str) for name in required):
        return [Problem(path, "type", "must be an array of property names")]
    problems = [
        Problem(f"{path}.{index}", "invalid", f"{name!r} is not a declared property")
        for index, name in enumerate(required)
        if name not in properties
    ]
    if len(set(required)) != len(required):
        problems.append(Problem(path, "invalid", "must not repeat a property"))
    return problems


def _check_against_metaschema(document: dict[str, Any], root: str) -> list[Problem]:
    """Belt and braces: the allow-list passed, so the draft 2020-12 metaschema must agree."""
    try:
        Draft202012Validator.check_schema(document)
    except SchemaError as error:
        where = ".".join(str(part) for part in error.path)
        return [Problem(f"{root}.{where}" if where else root, "invalid", error.message)]
    return []


# --- Validating payloads --------------------------------------------------------------------------


def _format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())
    for name, check in FORMAT_CHECKS.items():
        checker.checks(name)(lambda value, check=check: not isinstance(value, str) or check(value))
    return checker


def _re2_pattern(
    validator: Any, pattern: str, instance: Any, schema: Any
) -> Iterable[ValidationError]:
    if isinstance(instance, str) and not compile_pattern(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


# Draft 2020-12 with RE2 in place of Python's backtracking `re` for "pattern".
_PropertyValidator = validators.extend(  # type: ignore[no-untyped-call]
    Draft202012Validator, validators={"pattern": _re2_pattern}
)
_FORMAT_CHECKER = _format_checker()


def _describe(keyword: str, spec: Mapping[str, Any]) -> str:
    value = spec.get(keyword)
    if keyword == "type":
        return f"must be {_TYPE_NAMES.get(str(value), str(value))}"
    if keyword == "format":
        return f"must be {FORMAT_DESCRIPTIONS.get(str(value), value)}"
    if keyword == "enum":
        return "must be one of " + ", ".join(json.dumps(option) for option in value or ())
    if keyword == "minimum":
        return f"must be at least {value}"
    if keyword == "exclusiveMinimum":
        return f"must be greater than {value}"
    if keyword == "maximum":
        return f"must be at most {value}"
    if keyword == "exclusiveMaximum":
        return f"must be less than {value}"
    if keyword == "minLength":
        return f"must be at least {value} characters long"
    if keyword == "maxLength":
        return f"must be at most {value} characters long"
    if keyword == "pattern":
        return f"must match the pattern {value}"
    return "is not valid"


class _PropertyCheck:
    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.spec = spec
        self.validator = _PropertyValidator(dict(spec), format_checker=_FORMAT_CHECKER)

    def problem(self, field: str, value: Any) -> Problem | None:
        errors = list(self.validator.iter_errors(value))
        if not errors:
            return None
        # The type is the most useful thing to hear about; then keywords in a stable order.
        error = min(errors, key=lambda e: (e.validator != "type", str(e.validator)))
        keyword = str(error.validator)
        return Problem(field, _KEYWORD_CODES.get(keyword, "invalid"), _describe(keyword, self.spec))


class CompiledSchema:
    """A valid schema document made ready to split payloads; build once per schema and reuse."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        properties = document.get("properties", {})
        self._checks = {name: _PropertyCheck(spec) for name, spec in properties.items()}
        self._required = tuple(document.get("required", ()))

    def split(self, payload: Any, *, field: str = "payload") -> PayloadSplit:
        if not isinstance(payload, dict):
            return PayloadSplit({}, [], [Problem(field, "type", "must be a JSON object")])
        kept: dict[str, Any] = {}
        dropped: list[Problem] = []
        for name, value in payload.items():
            check = self._checks.get(name)
            if check is None:
                dropped.append(
                    Problem(f"{field}.{name}", "unknown", "is not a property of the schema")
                )
                continue
            problem = check.problem(f"{field}.{name}", value)
            if problem is None:
                kept[name] = value
            else:
                dropped.append(problem)
        violations = []
        for name in self._required:
            if name in kept:
                continue
            reason = next((p for p in dropped if p.field == f"{field}.{name}"), None)
            violations.append(reason or Problem(f"{field}.{name}", "required", "is required"))
        return PayloadSplit(kept, dropped, violations)

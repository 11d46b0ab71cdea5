"""Checking payloads against a valid schema: splitting one into the properties kept, those dropped
(each with why) and the rule violations that refuse it.

Kept values are what every layer can hold: numbers within a double's range, and date-times
within ``interactions.formats.parse_rfc3339``'s range (kept as posted; readers compare them as
instants in UTC)."""

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema.exceptions import ValidationError

from engage_site.api.problems import Problem
from interactions.formats import (
    DATE_TIME_RANGE,
    FORMAT_CHECKS,
    FORMAT_DESCRIPTIONS,
    date_time_out_of_range,
)
from interactions.schema_validation.vocabulary import (
    MAX_NUMBER,
    TYPE_NAMES,
    compile_pattern,
    is_number,
    is_numeric,
)

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


@dataclass(frozen=True)
class PayloadSplit:
    """A payload sorted out: what is kept, what is dropped (and why), and what refuses it."""

    kept: dict[str, Any]
    dropped: list[Problem]
    violations: list[Problem]


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


# What a value must be to satisfy a keyword, from the keyword's value in the schema.
_REQUIREMENTS: dict[str, Callable[[Any], str]] = {
    "type": lambda value: f"must be {TYPE_NAMES.get(str(value), str(value))}",
    "format": lambda value: f"must be {FORMAT_DESCRIPTIONS.get(str(value), value)}",
    "enum": lambda value: (
        "must be one of " + ", ".join(json.dumps(option) for option in value or ())
    ),
    "minimum": lambda value: f"must be at least {value}",
    "exclusiveMinimum": lambda value: f"must be greater than {value}",
    "maximum": lambda value: f"must be at most {value}",
    "exclusiveMaximum": lambda value: f"must be less than {value}",
    "minLength": lambda value: f"must be at least {value} characters long",
    "maxLength": lambda value: f"must be at most {value} characters long",
    "pattern": lambda value: f"must match the pattern {value}",
}


def _describe(keyword: str, spec: Mapping[str, Any]) -> str:
    requirement = _REQUIREMENTS.get(keyword)
    return requirement(spec.get(keyword)) if requirement else "is not valid"


class _PropertyCheck:
    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.spec = spec
        self.validator = _PropertyValidator(dict(spec), format_checker=_FORMAT_CHECKER)
        self.is_date_time = spec.get("type") == "string" and spec.get("format") == "date-time"

    def problem(self, field: str, value: Any) -> Problem | None:
        errors = list(self.validator.iter_errors(value))
        if errors:
            # The type is the most useful thing to hear about; then keywords in a stable order.
            error = min(errors, key=lambda e: (e.validator != "type", str(e.validator)))
            keyword = str(error.validator)
            message = _describe(keyword, self.spec)
            if keyword == "format" and self.is_date_time and date_time_out_of_range(value):
                message = f"must be {DATE_TIME_RANGE}"
            return Problem(field, _KEYWORD_CODES.get(keyword, "invalid"), message)
        if is_numeric(value) and not is_number(value):
            # Valid JSON that no double holds (an integer of hundreds of digits).
            if value > 0:
                return Problem(field, "maximum", f"must be at most {MAX_NUMBER!r}")
            return Problem(field, "minimum", f"must be at least {-MAX_NUMBER!r}")
        return None


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

"""The checks of a rule document: everything wrong with it, as ``Problem``\\ s with dotted paths.

Pure: no database access. ``rule_problems`` checks a document against ``RULE_JSON_SCHEMA`` (shape,
depth, size) and then against a ``Catalog`` of the tenant's schemas: what exists, which properties
are segmentable, and which operators and values fit each property's type. A document without
problems is what ``segments.rules.compiler`` expects.
"""

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from engage_site.api.problems import Problem
from interactions.public import (
    DATE_TIME_RANGE,
    NUMBER_RANGE,
    date_time_out_of_range,
    is_number,
    parse_instant,
    parse_rfc3339,
)
from segments.rules.catalog import Catalog, ProductField, PropertyInfo, SchemaInfo, product_field
from segments.rules.document import (
    MAX_CONDITIONS,
    MAX_DEPTH,
    PRODUCT_ATTRIBUTES_PREFIX,
    PRODUCT_FIELDS,
    PRODUCT_PREFIX,
    RULE_JSON_SCHEMA,
)

# Dates of windows and first/last conditions are read by the core's one date-time reader, so a
# rule holds only instants every layer can compare with (the compiler relies on it).
_FORMATS = FormatChecker(formats=())


@_FORMATS.checks("date-time")
def _is_date_time(value: object) -> bool:
    return not isinstance(value, str) or parse_rfc3339(value) is not None


_VALIDATOR = Draft202012Validator(RULE_JSON_SCHEMA, format_checker=_FORMATS)
_DATE_TIME_EXPECTED = "must be an RFC 3339 date-time with an offset, like 2026-06-01T08:00:00Z"

# The problem code of each failing JSON Schema keyword; any other keyword is "invalid".
_SHAPE_CODES = {
    "required": "required",
    "type": "type",
    "enum": "enum",
    "const": "enum",
    "format": "format",
    "minimum": "minimum",
    "maximum": "maximum",
    "minLength": "minLength",
    "maxLength": "maxLength",
    "pattern": "pattern",
    "additionalProperties": "unknown",
    "maxItems": "limit",
    "minItems": "required",
}

# The operands each property operator needs; every operator not listed needs "value".
_OPERANDS: dict[str, tuple[str, ...]] = {
    "in": ("values",),
    "between": ("min", "max"),
    "isTrue": (),
    "isFalse": (),
}


def _path(prefix: str, parts: Iterator[Any] | Sequence[Any]) -> str:
    return ".".join([prefix, *(str(part) for part in parts)])


def rule_shape_problems(document: Any, *, prefix: str = "rule") -> list[Problem]:
    """Problems with the document's shape (``RULE_JSON_SCHEMA``), depth and size."""
    problems = [
        Problem(
            _path(prefix, error.absolute_path),
            _SHAPE_CODES.get(str(error.validator), "invalid"),
            _shape_message(error),
        )
        for error in sorted(_VALIDATOR.iter_errors(document), key=lambda e: list(e.absolute_path))
        if error.validator not in ("allOf", "if", "$ref")
    ]
    if problems:
        return problems
    nodes = list(walk_rule(document))
    if max(depth for _, depth, _ in nodes) > MAX_DEPTH:
        problems.append(Problem(prefix, "limit", f"nests groups deeper than {MAX_DEPTH} levels"))
    if len(nodes) > MAX_CONDITIONS:
        problems.append(Problem(prefix, "limit", f"has more than {MAX_CONDITIONS} conditions"))
    return problems


def _shape_message(error: ValidationError) -> str:
    if error.validator != "format":
        return error.message
    if isinstance(error.instance, str) and date_time_out_of_range(error.instance):
        return f"must be {DATE_TIME_RANGE}"
    return _DATE_TIME_EXPECTED


def walk_rule(
    node: Mapping[str, Any], path: tuple[Any, ...] = (), depth: int = 1
) -> Iterator[tuple[Mapping[str, Any], int, tuple[Any, ...]]]:
    """Every node of a well-shaped rule with its depth and path, parents first."""
    yield node, depth, path
    if node["type"] in ("all", "any"):
        for index, child in enumerate(node["rules"]):
            yield from walk_rule(child, (*path, "rules", index), depth + 1)
    elif node["type"] == "not":
        yield from walk_rule(node["rule"], (*path, "rule"), depth + 1)


def rule_schema_ids(document: Mapping[str, Any]) -> set[str]:
    """The schema ids a well-shaped rule uses."""
    return {node["schemaId"] for node, _, _ in walk_rule(document) if "schemaId" in node}


def rule_problems(document: Any, *, catalog: Catalog, prefix: str = "rule") -> list[Problem]:
    """Everything wrong with ``document`` as a rule of a tenant whose schemas are ``catalog``."""
    problems = rule_shape_problems(document, prefix=prefix)
    if problems:
        return problems
    for node, _, path in walk_rule(document):
        at = _path(prefix, path)
        if "schemaId" in node and node["schemaId"] not in catalog:
            problems.append(
                Problem(f"{at}.schemaId", "invalid", f"no interaction schema {node['schemaId']!r}")
            )
        elif check := _NODE_CHECKS.get(node["type"]):
            problems.extend(check(node, catalog, at))
    return problems


def _first_or_last_problems(node: Mapping[str, Any], catalog: Catalog, at: str) -> list[Problem]:
    needs = "date" if node["op"] in ("before", "after") else "days"
    problems = _wheres_problems(node, catalog, at)
    if needs in node:
        return problems
    return [Problem(f"{at}.{needs}", "required", f"is required by {node['op']}"), *problems]


def _wheres_problems(node: Mapping[str, Any], catalog: Catalog, at: str) -> list[Problem]:
    schema = catalog[node["schemaId"]]
    return [
        problem
        for index, where in enumerate(node.get("where", []))
        for problem in _where_problems(where, schema, f"{at}.where.{index}")
    ]


# The checks beyond the JSON Schema of the conditions that have any, by condition type.
_NODE_CHECKS: dict[str, Callable[[Mapping[str, Any], Catalog, str], list[Problem]]] = {
    "first": _first_or_last_problems,
    "last": _first_or_last_problems,
    "count": _wheres_problems,
}


def _where_problems(where: Mapping[str, Any], schema: SchemaInfo, at: str) -> list[Problem]:
    name, op = where["property"], where["op"]
    if name.startswith(PRODUCT_PREFIX):
        return _product_where_problems(where, schema, at)
    info = schema.properties.get(name)
    if info is None:
        return [
            Problem(f"{at}.property", "invalid", f"{schema.schema_id} has no property {name!r}")
        ]
    if not info.segmentable:
        return [
            Problem(
                f"{at}.property",
                "invalid",
                f"{name!r} of {schema.schema_id} is not segmentable "
                "(addToSegmentation is not true)",
            )
        ]
    if op not in info.allowed_ops:
        kind = "date" if info.is_date else info.type
        return [
            Problem(
                f"{at}.op", "enum", f"must be one of {', '.join(info.allowed_ops)} for a {kind}"
            )
        ]
    return _operand_problems(where, at, lambda value, at: _value_problem(value, info, at))


_PRODUCT_FIELD_NAMES = ", ".join([*PRODUCT_FIELDS, f"{PRODUCT_ATTRIBUTES_PREFIX}<name>"])


def _product_where_problems(where: Mapping[str, Any], schema: SchemaInfo, at: str) -> list[Problem]:
    name, op = where["property"], where["op"]
    product = product_field(name)
    if product is None:
        return [
            Problem(
                f"{at}.property",
                "invalid",
                f"{name!r} is not a product fact: use one of {_PRODUCT_FIELD_NAMES}",
            )
        ]
    if not schema.has_product_sku:
        return [
            Problem(
                f"{at}.property",
                "invalid",
                f"{name!r} needs a productSku property, and {schema.schema_id} has none",
            )
        ]
    if op not in product.allowed_ops:
        return [
            Problem(
                f"{at}.op", "enum", f"must be one of {', '.join(product.allowed_ops)} for {name}"
            )
        ]
    return _operand_problems(
        where, at, lambda value, at: _product_value_problem(value, product, op, at)
    )


def _product_value_problem(value: Any, product: ProductField, op: str, at: str) -> Problem | None:
    """What is wrong with a value compared with a product fact, or None."""
    is_numeric = isinstance(value, int | float) and not isinstance(value, bool)
    wants_number = product.field == "price" or (
        product.field == "attribute" and op in ("lt", "lte", "gt", "gte", "between")
    )
    if wants_number:
        if not is_numeric:
            return Problem(at, "type", "must be a number")
        if not is_number(value):
            return Problem(at, "invalid", f"must be {NUMBER_RANGE}")
        return None
    if product.field == "attribute" and op != "contains":
        if is_numeric and not is_number(value):
            return Problem(at, "invalid", f"must be {NUMBER_RANGE}")
        if not is_numeric and not isinstance(value, str):
            return Problem(at, "type", "must be a string or a number")
        return None
    if not isinstance(value, str):
        return Problem(at, "type", "must be a string")
    if product.field == "category" and "\n" in value:
        return Problem(at, "invalid", "must be one category name, without a line break")
    return None


def _operand_problems(
    where: Mapping[str, Any], at: str, value_problem: Callable[[Any, str], Problem | None]
) -> list[Problem]:
    """The operands the operator needs and lacks, then those whose value does not fit."""
    op = where["op"]
    needed = _OPERANDS.get(op, ("value",))
    problems = [
        Problem(f"{at}.{key}", "required", f"is required by {op}")
        for key in needed
        if key not in where
    ]
    given = [(key, where[key]) for key in ("value", "min", "max") if key in needed and key in where]
    if "values" in needed and "values" in where:
        given += [(f"values.{index}", value) for index, value in enumerate(where["values"])]
    problems += [
        problem
        for key, value in given
        if (problem := value_problem(value, f"{at}.{key}")) is not None
    ]
    return problems


def _value_problem(value: Any, info: PropertyInfo, at: str) -> Problem | None:
    """What is wrong with a value compared with the property, or None: it must be of the
    property's type and within what every layer compares (``bounds``)."""
    is_numeric = isinstance(value, int | float) and not isinstance(value, bool)
    if info.type in ("number", "integer"):
        if not is_numeric:
            return Problem(at, "type", "must be a number")
        if not is_number(value):
            return Problem(at, "invalid", f"must be {NUMBER_RANGE}")
        return None
    if info.is_date:
        if isinstance(value, str) and parse_instant(value) is not None:
            return None
        if isinstance(value, str) and date_time_out_of_range(value):
            return Problem(at, "format", f"must be a date (YYYY-MM-DD) or {DATE_TIME_RANGE}")
        return Problem(
            at, "type", "must be a date (YYYY-MM-DD) or an RFC 3339 date-time with an offset"
        )
    if not isinstance(value, str):
        return Problem(at, "type", "must be a string")
    return None

"""The segment rule document: its JSON Schema (``RULE_JSON_SCHEMA``), its limits and the
operators each kind of condition and property accepts. Plain data, no code that runs on a rule.

A rule is a condition (``count``, ``first``, ``last``, ``never``, ``contactType``,
``emailDomain``, ``tag``) or an ``all``/``any``/``not`` group of rules. What it means (also in
the README):

- times are ``createdDate``; "last N days" is rolling from ``now``; every bound is inclusive
  (``lastDays: 30`` includes an interaction exactly 30 days old; ``before`` includes the date);
- a rule is evaluated over all the tenant's contacts, so ``count <= 2`` and ``never`` include
  contacts with no interactions at all;
- ``first``/``last`` compare the earliest/latest ``createdDate`` of the schema's interactions
  (those meeting its ``where``, when it has one); a contact with none never matches them;
- a property condition matches only interactions that have the property (``ne`` too); strings
  compare case-sensitively except ``contains``, which ignores case; date properties (string
  properties with format ``date`` or ``date-time``) compare as instants in UTC;
- a schema with the reserved ``productSku`` also has the product facts of the product its SKU
  names, as properties (``PRODUCT_FIELDS``, ``product.attributes.<name>``): the product's
  current facts, matched only by interactions whose SKU names an existing product that has the
  fact; ``product.category`` matches any level of the path (``ne``: no level is the value),
  ``product.price`` compares the amount alone, an attribute compares with values of its own
  type (a string, a number, ``isTrue``/``isFalse``);
- values stay within what every layer compares: date-times within the core's ``parse_rfc3339``
  range (checked as the ``date-time`` format), numbers within a double's range (integers past
  64 bits are compared in double precision, ``segments.rules.bounds``), counts up to
  ``MAX_COUNT``.

``segments.rules.checks`` checks a document against this schema and a tenant's catalog;
``segments.rules.compiler`` turns a checked one into a query.
"""

from collections.abc import Sequence
from typing import Any

MAX_DEPTH = 8
MAX_CONDITIONS = 50
# A count no contact reaches, and an integer every database binds (SQLite's are 64-bit).
MAX_COUNT = 2**31 - 1

COUNT_OPS = (">=", "<=", "=", "between")
DATE_OPS = ("before", "after", "withinLastDays", "moreThanDaysAgo")
STRING_OPS = ("eq", "ne", "in", "contains")
NUMBER_OPS = ("eq", "ne", "in", "lt", "lte", "gt", "gte", "between")
DATE_PROPERTY_OPS = ("eq", "ne", "lt", "lte", "gt", "gte", "between")
BOOLEAN_OPS = ("isTrue", "isFalse")
# Product attributes are of no declared type: each value compares with the attributes of its type.
ATTRIBUTE_OPS = tuple(dict.fromkeys((*STRING_OPS, *NUMBER_OPS, *BOOLEAN_OPS)))
PRODUCT_PREFIX = "product."
PRODUCT_ATTRIBUTES_PREFIX = "product.attributes."
# The product facts a condition names, and what each is of the product.
PRODUCT_FIELDS = {
    "product.brand": "brand",
    "product.category": "category",
    "product.price": "price",
    "product.price.currency": "currency",
}
PROPERTY_OPS = tuple(dict.fromkeys((*STRING_OPS, *NUMBER_OPS, *BOOLEAN_OPS)))
DATE_FORMATS = ("date", "date-time")

_SCHEMA_ID = {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"}
_DATE_TIME = {"type": "string", "format": "date-time", "maxLength": 40}
_DAYS = {"type": "integer", "minimum": 0, "maximum": 36500}
_COUNT = {"type": "integer", "minimum": 0, "maximum": MAX_COUNT}
_SCALAR = {"type": ["string", "number", "boolean"]}
_WHERES = {"type": "array", "items": {"$ref": "#/$defs/where"}, "maxItems": 10}


def _condition(kind: str, properties: dict[str, Any], required: Sequence[str]) -> dict[str, Any]:
    return {
        "if": {"properties": {"type": {"const": kind}}},
        "then": {
            "properties": {"type": {"const": kind}, **properties},
            "required": ["type", *required],
            "additionalProperties": False,
        },
    }


RULE_JSON_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Segment rule",
    "description": (
        "A condition, or an all/any/not group of rules. Times are createdDate, windows are "
        "rolling from now, bounds are inclusive."
    ),
    "$ref": "#/$defs/rule",
    "$defs": {
        "window": {
            "type": "object",
            "required": ["type"],
            "properties": {"type": {"enum": ["allTime", "lastDays", "between", "before", "after"]}},
            "allOf": [
                _condition("allTime", {}, []),
                _condition("lastDays", {"days": _DAYS}, ["days"]),
                _condition("between", {"from": _DATE_TIME, "to": _DATE_TIME}, ["from", "to"]),
                _condition("before", {"date": _DATE_TIME}, ["date"]),
                _condition("after", {"date": _DATE_TIME}, ["date"]),
            ],
        },
        "count": {
            "type": "object",
            "required": ["op"],
            "properties": {"op": {"enum": list(COUNT_OPS)}},
            "allOf": [
                *(
                    {
                        "if": {"properties": {"op": {"const": op}}},
                        "then": {
                            "properties": {
                                "op": {"const": op},
                                "value": _COUNT,
                            },
                            "required": ["op", "value"],
                            "additionalProperties": False,
                        },
                    }
                    for op in (">=", "<=", "=")
                ),
                {
                    "if": {"properties": {"op": {"const": "between"}}},
                    "then": {
                        "properties": {
                            "op": {"const": "between"},
                            "min": _COUNT,
                            "max": _COUNT,
                        },
                        "required": ["op", "min", "max"],
                        "additionalProperties": False,
                    },
                },
            ],
        },
        "where": {
            "type": "object",
            "required": ["property", "op"],
            "properties": {
                "property": {"type": "string", "minLength": 1, "maxLength": 128},
                "op": {"enum": list(PROPERTY_OPS)},
                "value": _SCALAR,
                "values": {"type": "array", "items": _SCALAR, "minItems": 1, "maxItems": 100},
                "min": _SCALAR,
                "max": _SCALAR,
            },
            "additionalProperties": False,
        },
        "rule": {
            "type": "object",
            "required": ["type"],
            "properties": {
                "type": {
                    "enum": [
                        "all",
                        "any",
                        "not",
                        "count",
                        "first",
                        "last",
                        "never",
                        "contactType",
                        "emailDomain",
                        "tag",
                    ]
                }
            },
            "allOf": [
                _condition(
                    "all",
                    {"rules": {"type": "array", "items": {"$ref": "#/$defs/rule"}}},
                    ["rules"],
                ),
                _condition(
                    "any",
                    {"rules": {"type": "array", "items": {"$ref": "#/$defs/rule"}}},
                    ["rules"],
                ),
                _condition("not", {"rule": {"$ref": "#/$defs/rule"}}, ["rule"]),
                _condition(
                    "count",
                    {
                        "schemaId": _SCHEMA_ID,
                        "count": {"$ref": "#/$defs/count"},
                        "window": {"$ref": "#/$defs/window"},
                        "where": _WHERES,
                    },
                    ["schemaId"],
                ),
                *(
                    _condition(
                        kind,
                        {
                            "schemaId": _SCHEMA_ID,
                            "op": {"enum": list(DATE_OPS)},
                            "date": _DATE_TIME,
                            "days": _DAYS,
                            "where": _WHERES,
                        },
                        ["schemaId", "op"],
                    )
                    for kind in ("first", "last")
                ),
                _condition("never", {"schemaId": _SCHEMA_ID}, ["schemaId"]),
                _condition(
                    "contactType",
                    {
                        "values": {
                            "type": "array",
                            "items": {"type": "string", "maxLength": 50},
                            "minItems": 1,
                            "maxItems": 100,
                        }
                    },
                    ["values"],
                ),
                _condition(
                    "emailDomain",
                    {
                        "values": {
                            "type": "array",
                            "items": {
                                "type": "string",
                                "pattern": "^[^@\\s]+$",
                                "minLength": 1,
                                "maxLength": 253,
                            },
                            "minItems": 1,
                            "maxItems": 100,
                        }
                    },
                    ["values"],
                ),
                _condition(
                    "tag", {"name": {"type": "string", "minLength": 1, "maxLength": 100}}, ["name"]
                ),
            ],
        },
    },
}

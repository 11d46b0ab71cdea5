"""Segment rules: the rule document's JSON Schema, its checks, and its compiler to one query.

No database access happens here. ``rule_problems`` checks a document against
``RULE_JSON_SCHEMA`` and against a catalog of the tenant's schemas (what exists, which properties
are segmentable and of which type); ``rule_compile`` turns a checked document into a ``Q`` over
``Contact`` built from ``Exists``/``IN`` subqueries over ``Interaction``, so a whole rule is one SQL
statement on SQLite and PostgreSQL alike.

Semantics (also in the README):

- times are ``createdDate``; "last N days" is rolling from ``now``; every bound is inclusive
  (``lastDays: 30`` includes an interaction exactly 30 days old; ``before`` includes the date);
- a rule is evaluated over all the tenant's contacts, so ``count <= 2`` and ``never`` include
  contacts with no interactions at all;
- ``first``/``last`` compare the earliest/latest ``createdDate`` of the schema; a contact with none
  never matches them;
- a property condition matches only interactions that have the property (``ne`` too); strings
  compare case-sensitively except ``contains``, which ignores case; date properties (string
  properties with format ``date`` or ``date-time``) compare as instants in UTC.
"""

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db.models import Count, Exists, F, Func, OuterRef, Q, QuerySet, TextField, Value
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from jsonschema import Draft202012Validator

from engage_site.api.problems import Problem
from interactions.public import ContactTag, Interaction, parse_rfc3339

MAX_DEPTH = 8
MAX_CONDITIONS = 50

COUNT_OPS = (">=", "<=", "=", "between")
DATE_OPS = ("before", "after", "withinLastDays", "moreThanDaysAgo")
STRING_OPS = ("eq", "ne", "in", "contains")
NUMBER_OPS = ("eq", "ne", "in", "lt", "lte", "gt", "gte", "between")
DATE_PROPERTY_OPS = ("eq", "ne", "lt", "lte", "gt", "gte", "between")
BOOLEAN_OPS = ("isTrue", "isFalse")
PROPERTY_OPS = tuple(dict.fromkeys((*STRING_OPS, *NUMBER_OPS, *BOOLEAN_OPS)))
DATE_FORMATS = ("date", "date-time")

_SCHEMA_ID = {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"}
_DATE_TIME = {"type": "string", "format": "date-time", "maxLength": 40}
_DAYS = {"type": "integer", "minimum": 0, "maximum": 36500}
_SCALAR = {"type": ["string", "number", "boolean"]}


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
                                "value": {"type": "integer", "minimum": 0},
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
                            "min": {"type": "integer", "minimum": 0},
                            "max": {"type": "integer", "minimum": 0},
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
                        "where": {
                            "type": "array",
                            "items": {"$ref": "#/$defs/where"},
                            "maxItems": 10,
                        },
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

_VALIDATOR = Draft202012Validator(RULE_JSON_SCHEMA)


@dataclass(frozen=True)
class PropertyInfo:
    name: str
    type: str
    format: str | None
    segmentable: bool

    @property
    def is_date(self) -> bool:
        return self.type == "string" and self.format in DATE_FORMATS

    @property
    def allowed_ops(self) -> tuple[str, ...]:
        if self.type == "boolean":
            return BOOLEAN_OPS
        if self.type in ("number", "integer"):
            return NUMBER_OPS
        if self.is_date:
            return DATE_PROPERTY_OPS
        return STRING_OPS


@dataclass(frozen=True)
class SchemaInfo:
    """What a rule may use of one of the tenant's (active) schemas."""

    pk: int
    schema_id: str
    properties: Mapping[str, PropertyInfo] = field(default_factory=dict)


Catalog = Mapping[str, SchemaInfo]


# --- Checking ---------------------------------------------------------------------------------


def _path(prefix: str, parts: Iterator[Any] | Sequence[Any]) -> str:
    return ".".join([prefix, *(str(part) for part in parts)])


def rule_shape_problems(document: Any, *, prefix: str = "rule") -> list[Problem]:
    """Problems with the document's shape (``RULE_JSON_SCHEMA``), depth and size."""
    problems = [
        Problem(_path(prefix, error.absolute_path), _shape_code(error.validator), error.message)
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


def _shape_code(validator: Any) -> str:
    return {
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
    }.get(str(validator), "invalid")


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
            continue
        if node["type"] in ("first", "last"):
            needs = "date" if node["op"] in ("before", "after") else "days"
            if needs not in node:
                problems.append(
                    Problem(f"{at}.{needs}", "required", f"is required by {node['op']}")
                )
        if node["type"] == "count":
            schema = catalog[node["schemaId"]]
            for index, where in enumerate(node.get("where", [])):
                problems.extend(_where_problems(where, schema, f"{at}.where.{index}"))
    return problems


def _where_problems(where: Mapping[str, Any], schema: SchemaInfo, at: str) -> list[Problem]:
    name, op = where["property"], where["op"]
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
    needed = {
        "in": ("values",),
        "between": ("min", "max"),
        "isTrue": (),
        "isFalse": (),
    }.get(op, ("value",))
    problems = [
        Problem(f"{at}.{key}", "required", f"is required by {op}")
        for key in needed
        if key not in where
    ]
    for key in ("value", "min", "max"):
        if key in needed and key in where and not _fits(where[key], info, op):
            problems.append(Problem(f"{at}.{key}", "type", _expected(info)))
    if "values" in needed and "values" in where:
        for index, value in enumerate(where["values"]):
            if not _fits(value, info, op):
                problems.append(Problem(f"{at}.values.{index}", "type", _expected(info)))
    return problems


def _fits(value: Any, info: PropertyInfo, op: str) -> bool:
    if info.type in ("number", "integer"):
        return (
            isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        )
    if info.is_date:
        return isinstance(value, str) and parse_instant(value) is not None
    return isinstance(value, str)


def _expected(info: PropertyInfo) -> str:
    if info.type in ("number", "integer"):
        return "must be a number"
    if info.is_date:
        return "must be a date (YYYY-MM-DD) or an RFC 3339 date-time with an offset"
    return "must be a string"


def parse_instant(value: str) -> datetime | None:
    """A date or RFC 3339 date-time as an aware UTC datetime (a date is its midnight UTC)."""
    parsed = parse_rfc3339(value)
    if parsed is not None:
        return parsed.astimezone(UTC)
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    if len(value) != 10:
        return None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def count_range(count: Mapping[str, Any] | None) -> tuple[int, float]:
    """The inclusive range [low, high] of counts a count condition accepts (default: >= 1)."""
    if count is None:
        return 1, math.inf
    op = count["op"]
    if op == ">=":
        return count["value"], math.inf
    if op == "<=":
        return 0, count["value"]
    if op == "=":
        return count["value"], count["value"]
    return count["min"], count["max"]


def window_bounds(
    window: Mapping[str, Any] | None, *, now: datetime
) -> tuple[datetime | None, datetime | None]:
    """The inclusive (start, end) of a window; None for an open side."""
    if window is None or window["type"] == "allTime":
        return None, None
    kind = window["type"]
    if kind == "lastDays":
        return now - timedelta(days=window["days"]), None
    if kind == "before":
        return None, _instant(window["date"])
    if kind == "after":
        return _instant(window["date"]), None
    return _instant(window["from"]), _instant(window["to"])


def _instant(value: str) -> datetime:
    parsed = parse_rfc3339(value)
    assert parsed is not None  # noqa: S101 - the JSON Schema's format check passed
    return parsed


# --- Compiling --------------------------------------------------------------------------------


class JsonInstant(Func):
    """A date or date-time JSON string as a comparable instant: timestamptz on PostgreSQL, and a
    normalised UTC text (``YYYY-MM-DD HH:MM:SS.SSS``) on SQLite."""

    arity = 1
    output_field = TextField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"STRFTIME('%%Y-%%m-%%d %%H:%%M:%%f', {sql})", params

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"({sql})::timestamptz", params


def _filter_where(
    matching: QuerySet[Interaction], where: Mapping[str, Any], info: PropertyInfo, alias: str
) -> QuerySet[Interaction]:
    """``matching`` narrowed to the interactions whose property meets ``where``. The property is
    bound to an alias (so a name with ``__`` stays one key), and must be present, ``ne`` too."""
    name, op = where["property"], where["op"]
    matching = matching.filter(payload__has_key=name)
    if info.type == "boolean":
        return matching.alias(**{alias: KeyTransform(name, "payload")}).filter(
            **{alias: op == "isTrue"}
        )
    if info.is_date:
        matching = matching.alias(**{alias: JsonInstant(KeyTextTransform(name, "payload"))})

        def instant(value: str) -> Func:
            normalised = parse_instant(value)
            assert normalised is not None  # noqa: S101 - checked by rule_problems
            return JsonInstant(Value(normalised.isoformat()))

        operands: dict[str, Any] = {
            key: instant(where[key]) for key in ("value", "min", "max") if key in where
        }
    else:
        source = KeyTextTransform if op == "contains" else KeyTransform
        matching = matching.alias(**{alias: source(name, "payload")})
        operands = {key: where[key] for key in ("value", "values", "min", "max") if key in where}
    if op == "between":
        return matching.filter(
            **{f"{alias}__gte": operands["min"], f"{alias}__lte": operands["max"]}
        )
    if op == "ne":
        return matching.exclude(**{alias: operands["value"]})
    if op == "in":
        return matching.filter(**{f"{alias}__in": list(operands["values"])})
    lookup = {
        "eq": "exact",
        "contains": "icontains",
        "lt": "lt",
        "lte": "lte",
        "gt": "gt",
        "gte": "gte",
    }[op]
    return matching.filter(**{f"{alias}__{lookup}": operands["value"]})


@dataclass(frozen=True)
class _Compiler:
    tenant_id: int
    catalog: Catalog
    now: datetime

    def interactions(self, schema_id: str) -> QuerySet[Interaction]:
        # (tenant, schema, created_date) is the covering index of segments' migration 0002.
        return Interaction.objects.filter(
            tenant_id=self.tenant_id, schema_id=self.catalog[schema_id].pk
        ).order_by()

    def compile(self, node: Mapping[str, Any]) -> Q:
        kind = node["type"]
        if kind == "all":
            combined = Q()
            for child in node["rules"]:
                combined &= self.compile(child)
            return combined
        if kind == "any":
            if not node["rules"]:
                return Q(pk__in=[])
            combined = Q()
            for child in node["rules"]:
                combined |= self.compile(child)
            return combined
        if kind == "not":
            return ~self.compile(node["rule"])
        if kind == "count":
            return self.count(node)
        if kind in ("first", "last"):
            return self.first_or_last(node)
        if kind == "never":
            return ~Q(Exists(self.interactions(node["schemaId"]).filter(contact_id=OuterRef("pk"))))
        if kind == "contactType":
            return Q(contact_type__in=list(node["values"]))
        if kind == "emailDomain":
            domains = Q(pk__in=[])
            for domain in node["values"]:
                domains |= Q(email__iendswith=f"@{domain}")
            return domains
        if kind == "tag":
            return Q(
                Exists(
                    ContactTag.objects.filter(
                        contact_id=OuterRef("pk"),
                        tag__tenant_id=self.tenant_id,
                        tag__name=node["name"],
                    )
                )
            )
        raise ValueError(f"unknown rule type {kind!r}")  # unreachable after rule_problems

    def count(self, node: Mapping[str, Any]) -> Q:
        matching = self.matching(node)
        low, high = count_range(node.get("count"))
        if low > high:
            return Q(pk__in=[])
        if low <= 0:
            if high == math.inf:
                return Q(pk__isnull=False)
            too_many = _contacts_counted(matching, Q(n__gt=high))
            return ~Q(pk__in=too_many)
        return Q(pk__in=self.counted_ids(matching, low, high))

    def counted_ids(self, matching: QuerySet[Interaction], low: int, high: float) -> QuerySet[Any]:
        """The contacts with ``low`` (>= 1) to ``high`` of the ``matching`` interactions."""
        if low == 1 and high == math.inf:
            return matching.values("contact_id")
        having = Q(n__gte=low) if high == math.inf else Q(n__gte=low, n__lte=high)
        return _contacts_counted(matching, having)

    def member_ids(self, node: Mapping[str, Any]) -> QuerySet[Any] | None:
        """For a count condition that needs at least one interaction, the members straight from
        the interactions table (``member_id``), without reading the contacts; else None."""
        if node["type"] != "count":
            return None
        low, high = count_range(node.get("count"))
        if low < 1 or low > high:
            return None
        counted = self.counted_ids(self.matching(node), low, high)
        if low == 1 and high == math.inf:
            return counted.values(member_id=F("contact_id")).distinct()
        return counted.values(member_id=F("contact_id"))

    def matching(self, node: Mapping[str, Any]) -> QuerySet[Interaction]:
        """The interactions a count condition counts: its schema, window and properties."""
        schema = self.catalog[node["schemaId"]]
        matching = self.interactions(node["schemaId"])
        start, end = window_bounds(node.get("window"), now=self.now)
        if start is not None:
            matching = matching.filter(created_date__gte=start)
        if end is not None:
            matching = matching.filter(created_date__lte=end)
        for index, where in enumerate(node.get("where", [])):
            info = schema.properties[where["property"]]
            matching = _filter_where(matching, where, info, f"property_{index}")
        return matching

    def first_or_last(self, node: Mapping[str, Any]) -> Q:
        """first = the earliest createdDate, last = the latest; written with EXISTS:
        min <= t ⟺ some <= t; min >= t ⟺ some, and none < t (and the mirror for max)."""
        matching = self.interactions(node["schemaId"]).filter(contact_id=OuterRef("pk"))
        op = node["op"]
        if op in ("before", "moreThanDaysAgo"):
            bound = (
                _instant(node["date"])
                if op == "before"
                else self.now - timedelta(days=node["days"])
            )
            # <= bound
            if node["type"] == "first":
                return Q(Exists(matching.filter(created_date__lte=bound)))
            return Q(Exists(matching)) & ~Q(Exists(matching.filter(created_date__gt=bound)))
        bound = _instant(node["date"]) if op == "after" else self.now - timedelta(days=node["days"])
        # >= bound
        if node["type"] == "last":
            return Q(Exists(matching.filter(created_date__gte=bound)))
        return Q(Exists(matching)) & ~Q(Exists(matching.filter(created_date__lt=bound)))


def _contacts_counted(matching: QuerySet[Interaction], having: Q) -> QuerySet[Any]:
    """SELECT contact_id … GROUP BY contact_id HAVING <having on n = count(*)>."""
    return matching.values("contact_id").annotate(n=Count("*")).filter(having).values("contact_id")


def rule_compile(
    document: Mapping[str, Any], *, tenant_id: int, catalog: Catalog, now: datetime
) -> Q:
    """The ``Q`` over the tenant's ``Contact`` rows that a checked rule selects, as of ``now``."""
    return _Compiler(tenant_id=tenant_id, catalog=catalog, now=now).compile(document)


def rule_member_ids_direct(
    document: Mapping[str, Any], *, tenant_id: int, catalog: Catalog, now: datetime
) -> QuerySet[Any] | None:
    """When a checked rule is one count condition needing at least one interaction, its members
    as a one-column query (``member_id``) over the interactions alone: the plain ``GROUP BY
    contact_id HAVING …`` a hand-written query would be. None for every other rule."""
    return _Compiler(tenant_id=tenant_id, catalog=catalog, now=now).member_ids(document)

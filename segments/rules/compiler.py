"""The compiler of a checked rule to one query over the tenant's interactions and contacts.

The only module of the rules that touches the ORM. ``rule_compile`` turns a document without
problems (``segments.rules.checks.rule_problems``) into a ``Q`` over ``Contact`` built from
``Exists``/``IN`` subqueries over ``Interaction``, so a whole rule is one SQL statement on SQLite
and PostgreSQL alike; ``rule_member_ids_direct`` answers a lone count condition from the
interactions table alone. What each condition means is in ``segments.rules.document``.
"""

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from django.db.models import Count, Exists, F, Func, OuterRef, Q, QuerySet, TextField, Value
from django.db.models.fields.json import KeyTextTransform, KeyTransform

from interactions.public import ContactTag, Interaction
from segments.rules.bounds import (
    bound_number,
    checked_instant,
    count_range,
    parse_instant,
    window_bounds,
)
from segments.rules.catalog import Catalog, PropertyInfo

# Each as a template over the JSON string ``{t}``: the instant a stored date or date-time names.
# ``has_offset``: it ends in ``±HH:MM``; SQLite shifts by minutes, PostgreSQL subtracts an
# interval; the local part's microseconds are truncated, as Python reads them (PostgreSQL rounds).
_SQLITE_OFFSET = "{t} GLOB '*[+-][0-9][0-9]:[0-9][0-9]'"
_SQLITE_MINUTES = (
    "(CASE SUBSTR({t}, -6, 1) WHEN '+' THEN -1 ELSE 1 END)"
    " * (CAST(SUBSTR({t}, -5, 2) AS INTEGER) * 60 + CAST(SUBSTR({t}, -2, 2) AS INTEGER))"
)
_SQLITE_INSTANT = (
    "STRFTIME('%%Y-%%m-%%d %%H:%%M:%%f', "
    f"CASE WHEN {_SQLITE_OFFSET} THEN UPPER(SUBSTR({{t}}, 1, LENGTH({{t}}) - 6)) "
    "ELSE UPPER({t}) END, "
    f"CASE WHEN {_SQLITE_OFFSET} THEN ({_SQLITE_MINUTES}) || ' minutes' ELSE '+0 minutes' END)"
)
_POSTGRESQL_INSTANT = (
    "((REGEXP_REPLACE(REGEXP_REPLACE({t}, '([Zz]|[+-][0-9]{{2}}:[0-9]{{2}})$', ''),"
    " '([.][0-9]{{6}})[0-9]+$', '\\1'))::timestamp AT TIME ZONE 'UTC'"
    " - COALESCE(SUBSTRING({t} FROM '[+-][0-9]{{2}}:[0-9]{{2}}$'), '+00:00')::interval)"
)


def _fill(template: str, sql: str, params: Any) -> tuple[str, list[Any]]:
    """``template`` with every ``{t}`` replaced by ``(sql)``, and ``params`` once per use."""
    return template.format(t=f"({sql})"), list(params) * template.count("{t}")


class JsonInstant(Func):
    """A date or date-time JSON string as a comparable instant in UTC: timestamptz on PostgreSQL,
    and a normalised UTC text (``YYYY-MM-DD HH:MM:SS.SSS``) on SQLite.

    Every value the core keeps is one ``parse_rfc3339`` (or ``parse_date``) reads, kept as posted:
    any offset up to ±23:59, ``t`` and ``z`` in either case, up to nine fraction digits. Neither
    database reads all of those itself (PostgreSQL's timestamptz input raises an error on offsets
    past ±15:59, SQLite's date functions answer NULL past ±14:59 and for a lowercase ``t``), so the
    offset is cut off and subtracted as minutes or an interval. Nothing here can raise on a row:
    PostgreSQL only parses an offset-free timestamp, and SQLite answers NULL for what it can't read.
    """

    arity = 1
    output_field = TextField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return _fill(_SQLITE_INSTANT, *compiler.compile(self.source_expressions[0]))

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return _fill(_POSTGRESQL_INSTANT, *compiler.compile(self.source_expressions[0]))


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
        if info.type in ("number", "integer"):
            # Only order comparisons bind the number itself; equality binds its JSON text.
            operands.update(
                {
                    key: bound_number(operands[key])
                    for key in ("value", "min", "max")
                    if key in operands
                }
            )
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
        compile_kind = self._BY_KIND.get(kind)
        if compile_kind is None:
            raise ValueError(f"unknown rule type {kind!r}")  # unreachable after rule_problems
        return compile_kind(self, node)

    def all_of(self, node: Mapping[str, Any]) -> Q:
        combined = Q()
        for child in node["rules"]:
            combined &= self.compile(child)
        return combined

    def any_of(self, node: Mapping[str, Any]) -> Q:
        if not node["rules"]:
            return Q(pk__in=[])
        combined = Q()
        for child in node["rules"]:
            combined |= self.compile(child)
        return combined

    def negation(self, node: Mapping[str, Any]) -> Q:
        return ~self.compile(node["rule"])

    def never(self, node: Mapping[str, Any]) -> Q:
        return ~Q(Exists(self.interactions(node["schemaId"]).filter(contact_id=OuterRef("pk"))))

    def contact_type(self, node: Mapping[str, Any]) -> Q:
        return Q(contact_type__in=list(node["values"]))

    def email_domain(self, node: Mapping[str, Any]) -> Q:
        domains = Q(pk__in=[])
        for domain in node["values"]:
            domains |= Q(email__iendswith=f"@{domain}")
        return domains

    def tag(self, node: Mapping[str, Any]) -> Q:
        return Q(
            Exists(
                ContactTag.objects.filter(
                    contact_id=OuterRef("pk"),
                    tag__tenant_id=self.tenant_id,
                    tag__name=node["name"],
                )
            )
        )

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
                checked_instant(node["date"])
                if op == "before"
                else self.now - timedelta(days=node["days"])
            )
            # <= bound
            if node["type"] == "first":
                return Q(Exists(matching.filter(created_date__lte=bound)))
            return Q(Exists(matching)) & ~Q(Exists(matching.filter(created_date__gt=bound)))
        bound = (
            checked_instant(node["date"])
            if op == "after"
            else self.now - timedelta(days=node["days"])
        )
        # >= bound
        if node["type"] == "last":
            return Q(Exists(matching.filter(created_date__gte=bound)))
        return Q(Exists(matching)) & ~Q(Exists(matching.filter(created_date__lt=bound)))

    # The compiler of each rule type (``type`` of a node).
    _BY_KIND: ClassVar[dict[str, Callable[["_Compiler", Mapping[str, Any]], Q]]] = {
        "all": all_of,
        "any": any_of,
        "not": negation,
        "count": count,
        "first": first_or_last,
        "last": first_or_last,
        "never": never,
        "contactType": contact_type,
        "emailDomain": email_domain,
        "tag": tag,
    }


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

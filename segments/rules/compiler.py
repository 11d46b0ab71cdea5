"""The compiler of a checked rule to one query over the tenant's interactions and contacts.

The only module of the rules that touches the ORM. ``rule_compile`` turns a document without
problems (``segments.rules.checks.rule_problems``) into a ``Q`` over ``Contact`` built from
``Exists``/``IN`` subqueries over ``Interaction`` (and, for property conditions, over the
typed ``SegmentableValue`` rows the core keeps beside them), so a whole rule is one SQL statement
on SQLite and PostgreSQL alike; ``rule_member_ids_direct`` answers a lone count condition from the
interactions table alone. What each condition means is in ``segments.rules.document``.
"""

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet

from interactions.public import ContactTag, Interaction, parse_instant, segmentable_values
from segments.rules.bounds import bound_number, checked_instant, count_range, window_bounds
from segments.rules.catalog import Catalog, PropertyInfo, SchemaInfo


def _value_condition(where: Mapping[str, Any], info: PropertyInfo) -> Q:
    """The condition ``where`` on a ``SegmentableValue`` row of its property: on the typed column
    of the property's type (a value of another type has NULL there, and meets only ``ne``)."""
    op = where["op"]
    if info.type == "boolean":
        return Q(boolean=op == "isTrue")
    operands: dict[str, Any]
    if info.is_date:
        column = "instant"

        def instant(value: str) -> datetime:
            normalised = parse_instant(value)
            assert normalised is not None  # noqa: S101 - checked by rule_problems
            return normalised

        operands = {key: instant(where[key]) for key in ("value", "min", "max") if key in where}
        if "values" in where:
            operands["values"] = [instant(value) for value in where["values"]]
    elif info.type in ("number", "integer"):
        column = "number"
        operands = {
            key: bound_number(where[key]) for key in ("value", "min", "max") if key in where
        }
        if "values" in where:
            operands["values"] = list(where["values"])
    else:
        column = "text"
        operands = {key: where[key] for key in ("value", "values", "min", "max") if key in where}
    if op == "between":
        return Q(**{f"{column}__gte": operands["min"], f"{column}__lte": operands["max"]})
    if op == "ne":
        # Django's negation keeps the NULLs: a value of another type differs too.
        return ~Q(**{column: operands["value"]})
    if op == "in":
        return Q(**{f"{column}__in": operands["values"]})
    lookup = {
        "eq": "exact",
        "contains": "icontains",
        "lt": "lt",
        "lte": "lte",
        "gt": "gt",
        "gte": "gte",
    }[op]
    return Q(**{f"{column}__{lookup}": operands["value"]})


@dataclass(frozen=True)
class _Compiler:
    tenant_id: int
    catalog: Catalog
    now: datetime

    def interactions(self, schema_id: str) -> QuerySet[Any]:
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

    def counted_ids(self, matching: QuerySet[Any], low: int, high: float) -> QuerySet[Any]:
        """The contacts with ``low`` (>= 1) to ``high`` of the ``matching`` interactions."""
        if low == 1 and high == math.inf:
            return matching.values("contact_id")
        having = Q(n__gte=low) if high == math.inf else Q(n__gte=low, n__lte=high)
        return _contacts_counted(matching, having)

    def member_ids(self, node: Mapping[str, Any]) -> QuerySet[Any] | None:
        """For a count condition that needs at least one interaction, or an ``all`` of only such
        conditions, the members straight from the interactions (``member_id``), without reading
        the contacts; else None."""
        if node["type"] == "all":
            return self.all_member_ids(node)
        if node["type"] != "count":
            return None
        low, high = count_range(node.get("count"))
        if low < 1 or low > high:
            return None
        counted = self.counted_ids(self.matching(node), low, high)
        if low == 1 and high == math.inf:
            return counted.values(member_id=F("contact_id")).distinct()
        return counted.values(member_id=F("contact_id"))

    def all_member_ids(self, node: Mapping[str, Any]) -> QuerySet[Any] | None:
        """The first condition's members that are among each other's (``IN`` subqueries, which
        the database joins as sets), when every condition has direct members; else None."""
        parts = [self.member_ids(child) for child in node["rules"]]
        if not parts or any(part is None for part in parts):
            return None
        first, *others = parts
        assert first is not None  # noqa: S101 - checked just above
        for part in others:
            first = first.filter(member_id__in=part)
        return first

    def matching(self, node: Mapping[str, Any]) -> QuerySet[Any]:
        """The interactions a count condition counts: its schema, window and properties."""
        schema = self.catalog[node["schemaId"]]
        wheres = node.get("where", [])
        matching: QuerySet[Any]
        if wheres:
            # Counted from the first property's values (one row per interaction that has it, with
            # its contact and date), the others checked on the same interaction.
            first, *others = wheres
            matching = self.values_meeting(schema, first)
            for where in others:
                same = self.values_meeting(schema, where).filter(
                    interaction_id=OuterRef("interaction_id")
                )
                matching = matching.filter(Exists(same))
        else:
            matching = self.interactions(node["schemaId"])
        start, end = window_bounds(node.get("window"), now=self.now)
        if start is not None:
            matching = matching.filter(created_date__gte=start)
        if end is not None:
            matching = matching.filter(created_date__lte=end)
        return matching

    def values_meeting(self, schema: SchemaInfo, where: Mapping[str, Any]) -> QuerySet[Any]:
        """The schema's segmentable values of ``where``'s property that meet it; the indexes of
        ``SegmentableValue`` start with (tenant, schema, property)."""
        info = schema.properties[where["property"]]
        return (
            segmentable_values(tenant_id=self.tenant_id, schema_pk=schema.pk)
            .filter(property=where["property"])
            .filter(_value_condition(where, info))
        )

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


def _contacts_counted(matching: QuerySet[Any], having: Q) -> QuerySet[Any]:
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
    """When a checked rule is one count condition needing at least one interaction (or an ``all``
    of only such conditions), its members as a one-column query (``member_id``) over the
    interactions alone: the plain ``GROUP BY contact_id HAVING …`` a hand-written query would be.
    None for every other rule."""
    return _Compiler(tenant_id=tenant_id, catalog=catalog, now=now).member_ids(document)

"""The compiler of a checked rule to one query over the tenant's interactions and contacts.

The only module of the rules that touches the ORM. ``rule_compile`` turns a document without
problems (``segments.rules.checks.rule_problems``) into a ``Q`` over ``Contact`` built from
``Exists``/``IN`` subqueries over ``Interaction`` (and, for property conditions, over the
typed ``SegmentableValue`` rows the core keeps beside them, and for product conditions over the
``productSku`` rows semi-joined to the tenant's products that meet them), so a whole rule is one
SQL statement
on SQLite and PostgreSQL alike; ``rule_member_ids_direct`` answers a lone count condition from the
interactions table alone. What each condition means is in ``segments.rules.document``.
"""

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from django.db.models import (
    CharField,
    Count,
    Exists,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.db.models.fields.json import KeyTransform
from django.db.models.functions import StrIndex

from interactions.public import (
    RESERVED_PRODUCT_SKU,
    ContactTag,
    Interaction,
    parse_instant,
    segment_products,
    segmentable_values,
)
from segments.rules.bounds import bound_number, checked_instant, count_range, window_bounds
from segments.rules.catalog import Catalog, ProductField, PropertyInfo, SchemaInfo, product_field
from segments.rules.document import PRODUCT_PREFIX


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


class _AttributeKind(Func):
    """The JSON type of a product attribute: ``string``, ``number`` or ``boolean``; NULL when
    the product has no such attribute. The same words on PostgreSQL and SQLite."""

    output_field = CharField()

    def __init__(self, name: str) -> None:
        self.attribute = name
        super().__init__(F("attributes"))

    def as_sql(  # type: ignore[override] # a fixed template
        self, compiler: Any, connection: Any, **extra: Any
    ) -> tuple[str, list[Any]]:
        column, params = compiler.compile(self.source_expressions[0])
        kinds = " ".join(
            f"WHEN '{stored}' THEN '{kind}'"
            for stored, kind in (
                ("integer", "number"),
                ("real", "number"),
                ("text", "string"),
                ("true", "boolean"),
                ("false", "boolean"),
            )
        )
        return (
            f"CASE json_type({column}, %s) {kinds} END",
            [*params, f"$.{json.dumps(self.attribute)}"],
        )

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        column, params = compiler.compile(self.source_expressions[0])
        return f"jsonb_typeof({column} -> %s)", [*params, self.attribute]


def _of_product(where: Mapping[str, Any]) -> bool:
    return bool(where["property"].startswith(PRODUCT_PREFIX))


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    return "number" if isinstance(value, int | float) else "string"


def _operand(value: Any) -> Any:
    return bound_number(value) if _kind_of(value) == "number" else value


def _attribute_condition(
    products: QuerySet[Any], where: Mapping[str, Any], name: str, alias: str
) -> QuerySet[Any]:
    """``where`` on the attribute ``name`` of products: a value compares with the attributes of
    its own type (so a string "42" is not the number 42, nor true the number 1 on SQLite)."""
    kind = f"{alias}_kind"
    products = products.alias(
        **{alias: KeyTransform(name, "attributes"), kind: _AttributeKind(name)}
    )
    op = where["op"]

    def equal(value: Any) -> Q:
        return Q(**{kind: _kind_of(value), alias: _operand(value)})

    if op in ("isTrue", "isFalse"):
        return products.filter(**{kind: "boolean", alias: op == "isTrue"})
    if op == "eq":
        return products.filter(equal(where["value"]))
    if op == "ne":
        return products.filter(Q(**{f"{kind}__isnull": False}) & ~equal(where["value"]))
    if op == "in":
        either = Q(pk__in=[])
        for value in where["values"]:
            either |= equal(value)
        return products.filter(either)
    if op == "contains":
        return products.filter(**{kind: "string", f"{alias}__icontains": where["value"]})
    if op == "between":
        return products.filter(
            **{
                kind: "number",
                f"{alias}__gte": bound_number(where["min"]),
                f"{alias}__lte": bound_number(where["max"]),
            }
        )
    return products.filter(**{kind: "number", f"{alias}__{op}": bound_number(where["value"])})


def _category_condition(
    products: QuerySet[Any], where: Mapping[str, Any], alias: str
) -> QuerySet[Any]:
    """``where`` on the category path, any level: ``category_keys`` is "\\nA\\nB\\n", so a
    level is a case-sensitive substring (``StrIndex``: strpos/instr; SQLite's LIKE ignores case)."""
    op = where["op"]
    if op == "contains":
        # A value holds no line break (checked), so it matches within one level.
        return products.filter(category_keys__icontains=where["value"])
    values = where["values"] if op == "in" else [where["value"]]
    levels = {
        f"{alias}_{index}": StrIndex("category_keys", Value(f"\n{value}\n"))
        for index, value in enumerate(values)
    }
    products = products.alias(**levels)
    some = Q(pk__in=[])
    for name in levels:
        some |= Q(**{f"{name}__gt": 0})
    if op == "ne":
        # A product with a category path none of whose levels is the value.
        return products.exclude(category_keys="").filter(~some)
    # (A level found implies a path: no second condition for the planner to misjudge.)
    return products.filter(some)


# The column of each plain product fact; a product without the fact has "" there (NULL for price).
_PRODUCT_COLUMNS = {"brand": "brand", "currency": "price_currency", "price": "price_amount"}


def _product_condition(
    products: QuerySet[Any], where: Mapping[str, Any], product: ProductField, alias: str
) -> QuerySet[Any]:
    """The ``products`` that have the fact ``where`` names and meet it."""
    if product.field == "attribute":
        return _attribute_condition(products, where, product.attribute, alias)
    if product.field == "category":
        return _category_condition(products, where, alias)
    column = _PRODUCT_COLUMNS[product.field]
    if product.field == "price":
        products = products.filter(price_amount__isnull=False)

        # The amount compares as a double, as the evaluator and SQLite's NUMERIC column do.
        def operand(value: Any) -> Any:
            return Value(bound_number(value), output_field=FloatField())
    else:
        products = products.exclude(**{column: ""})

        def operand(value: Any) -> Any:
            return value

    op = where["op"]
    if op == "between":
        return products.filter(
            **{f"{column}__gte": operand(where["min"]), f"{column}__lte": operand(where["max"])}
        )
    if op == "ne":
        return products.exclude(**{column: operand(where["value"])})
    if op == "in":
        either = Q(pk__in=[])
        for value in where["values"]:
            either |= Q(**{column: operand(value)})
        return products.filter(either)
    lookup = {"eq": "exact", "contains": "icontains"}.get(op, op)
    return products.filter(**{f"{column}__{lookup}": operand(where["value"])})


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
        of_products = [w for w in node.get("where", []) if _of_product(w)]
        wheres = [w for w in node.get("where", []) if not _of_product(w)]
        matching: QuerySet[Any]
        others: Sequence[Mapping[str, Any]] = wheres
        if of_products:
            # Counted from the productSku rows (one per interaction that names a product) whose
            # SKU is one of the products meeting every product condition; the other properties
            # checked on the same interaction.
            matching = self.product_skus_meeting(schema, of_products)
        elif wheres:
            # Counted from the first property's values (one row per interaction that has it, with
            # its contact and date), the others checked on the same interaction.
            first, *others = wheres
            matching = self.values_meeting(schema, first)
        else:
            matching = self.interactions(node["schemaId"])
        for where in others:
            same = self.values_meeting(schema, where).filter(
                interaction_id=OuterRef("interaction_id")
            )
            matching = matching.filter(Exists(same))
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

    def product_skus_meeting(
        self, schema: SchemaInfo, wheres: Sequence[Mapping[str, Any]]
    ) -> QuerySet[Any]:
        """The schema's productSku rows whose SKU names one of the tenant's products that meets
        every condition of ``wheres`` (``text IN (SELECT sku …)``); their index holds the window,
        the contact and the SKU."""
        products = segment_products(tenant_id=self.tenant_id)
        for index, where in enumerate(wheres):
            product = product_field(where["property"])
            assert product is not None  # noqa: S101 - checked by rule_problems
            products = _product_condition(products, where, product, f"p{index}")
        return segmentable_values(tenant_id=self.tenant_id, schema_pk=schema.pk).filter(
            property=RESERVED_PRODUCT_SKU, text__in=products.values("sku")
        )

    def first_or_last(self, node: Mapping[str, Any]) -> Q:
        """first = the earliest createdDate, last = the latest; written with EXISTS:
        min <= t ⟺ some <= t; min >= t ⟺ some, and none < t (and the mirror for max)."""
        # The schema's interactions (or the rows of those meeting its ``where``): no window.
        matching = self.matching({"schemaId": node["schemaId"], "where": node.get("where", [])})
        matching = matching.filter(contact_id=OuterRef("pk"))
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

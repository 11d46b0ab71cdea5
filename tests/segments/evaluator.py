"""A plain-Python evaluator of segment rules, written from the documented semantics without the
compiler's tricks: the reference the compiled SQL is checked against."""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from interactions.public import parse_instant
from segments.rules.bounds import count_range, window_bounds
from segments.rules.catalog import Catalog, PropertyInfo, product_field


@dataclass
class Row:
    schema_id: str
    created_date: datetime
    payload: dict[str, Any]


@dataclass
class Person:
    id: Any
    contact_type: str
    email: str
    tags: set[str] = field(default_factory=set)
    interactions: list[Row] = field(default_factory=list)


def _property_matches(value: Any, where: Mapping[str, Any], info: PropertyInfo) -> bool:
    op = where["op"]
    if info.type == "boolean":
        return value is (op == "isTrue")
    if info.is_date:
        value = parse_instant(value)

        def convert(v: Any) -> Any:
            return parse_instant(v)
    else:

        def convert(v: Any) -> Any:
            return v

    if op == "eq":
        return bool(value == convert(where["value"]))
    if op == "ne":
        return bool(value != convert(where["value"]))
    if op == "in":
        return any(value == convert(v) for v in where["values"])
    if op == "contains":
        return str(where["value"]).lower() in str(value).lower()
    if op == "between":
        return bool(convert(where["min"]) <= value <= convert(where["max"]))
    target = convert(where["value"])
    return bool(
        {
            "lt": value < target,
            "lte": value <= target,
            "gt": value > target,
            "gte": value >= target,
        }[op]
    )


Products = Mapping[Any, Mapping[str, Any]]


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    return "number" if isinstance(value, int | float) else "string"


def _attribute_matches(value: Any, where: Mapping[str, Any]) -> bool:
    """An attribute compares with values of its own type."""
    op = where["op"]

    def equal(operand: Any) -> bool:
        return _kind(value) == _kind(operand) and value == operand

    if op in ("isTrue", "isFalse"):
        return value is (op == "isTrue")
    if op == "eq":
        return equal(where["value"])
    if op == "ne":
        return not equal(where["value"])
    if op == "in":
        return any(equal(operand) for operand in where["values"])
    if op == "contains":
        return _kind(value) == "string" and where["value"].lower() in value.lower()
    if _kind(value) != "number":
        return False
    return _property_matches(value, where, PropertyInfo("", "number", None, True))


def _product_matches(product: Mapping[str, Any] | None, where: Mapping[str, Any]) -> bool:
    """``where`` on the wire document of the product an interaction names (None: no product):
    only a product that has the fact matches."""
    if product is None:
        return False
    fact = product_field(where["property"])
    assert fact is not None
    op = where["op"]
    if fact.field == "attribute":
        attributes = product.get("attributes", {})
        return fact.attribute in attributes and _attribute_matches(
            attributes[fact.attribute], where
        )
    if fact.field == "category":
        levels = product.get("categories", [])
        if not levels:
            return False
        if op == "contains":
            return any(where["value"].lower() in level.lower() for level in levels)
        if op == "ne":
            return where["value"] not in levels
        return any(value in levels for value in where.get("values", [where.get("value")]))
    if fact.field == "price":
        if product.get("price") is None:
            return False
        return _property_matches(
            float(product["price"]["amount"]), where, PropertyInfo("", "number", None, True)
        )
    value = (
        product.get("brand")
        if fact.field == "brand"
        else (product.get("price") or {}).get("currency")
    )
    if not value:
        return False
    return _property_matches(value, where, PropertyInfo("", "string", None, True))


def _where_matches(
    row: Row, where: Mapping[str, Any], properties: Mapping[str, PropertyInfo], products: Products
) -> bool:
    name = where["property"]
    if name.startswith("product."):
        return _product_matches(products.get(row.payload.get("productSku")), where)
    return name in row.payload and _property_matches(row.payload[name], where, properties[name])


def evaluate(
    rule: Mapping[str, Any],
    person: Person,
    *,
    catalog: Catalog,
    now: datetime,
    products: Products | None = None,
) -> bool:
    """Whether ``person`` meets ``rule``; ``products`` are the tenant's product documents by
    SKU, as the API took them."""
    products = products or {}
    kind = rule["type"]
    if kind == "all":
        return all(
            evaluate(r, person, catalog=catalog, now=now, products=products) for r in rule["rules"]
        )
    if kind == "any":
        return any(
            evaluate(r, person, catalog=catalog, now=now, products=products) for r in rule["rules"]
        )
    if kind == "not":
        return not evaluate(rule["rule"], person, catalog=catalog, now=now, products=products)
    if kind == "contactType":
        return person.contact_type in rule["values"]
    if kind == "emailDomain":
        return any(person.email.lower().endswith("@" + d.lower()) for d in rule["values"])
    if kind == "tag":
        return rule["name"] in person.tags
    rows = [row for row in person.interactions if row.schema_id == rule["schemaId"]]
    if kind == "never":
        return not rows
    properties = catalog[rule["schemaId"]].properties
    if kind in ("first", "last"):
        rows = [
            row
            for row in rows
            if all(
                _where_matches(row, where, properties, products) for where in rule.get("where", [])
            )
        ]
        if not rows:
            return False
        times = [row.created_date for row in rows]
        moment = min(times) if kind == "first" else max(times)
        op = rule["op"]
        if op == "before":
            return moment <= parse_instant(rule["date"])  # type: ignore[operator]
        if op == "after":
            return moment >= parse_instant(rule["date"])  # type: ignore[operator]
        from datetime import timedelta

        bound = now - timedelta(days=rule["days"])
        return moment >= bound if op == "withinLastDays" else moment <= bound
    # count
    start, end = window_bounds(rule.get("window"), now=now)
    n = 0
    for row in rows:
        if start is not None and row.created_date < start:
            continue
        if end is not None and row.created_date > end:
            continue
        n += all(
            _where_matches(row, where, properties, products) for where in rule.get("where", [])
        )
    low, high = count_range(rule.get("count"))
    return low <= n <= (high if high != math.inf else n)


def members(
    rule: Mapping[str, Any],
    people: Sequence[Person],
    *,
    catalog: Catalog,
    now: datetime,
    products: Products | None = None,
) -> set[Any]:
    return {p.id for p in people if evaluate(rule, p, catalog=catalog, now=now, products=products)}

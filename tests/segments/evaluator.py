"""A plain-Python evaluator of segment rules, written from the documented semantics without the
compiler's tricks: the reference the compiled SQL is checked against."""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from interactions.public import parse_instant
from segments.rules.bounds import count_range, window_bounds
from segments.rules.catalog import Catalog, PropertyInfo


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


def evaluate(rule: Mapping[str, Any], person: Person, *, catalog: Catalog, now: datetime) -> bool:
    kind = rule["type"]
    if kind == "all":
        return all(evaluate(r, person, catalog=catalog, now=now) for r in rule["rules"])
    if kind == "any":
        return any(evaluate(r, person, catalog=catalog, now=now) for r in rule["rules"])
    if kind == "not":
        return not evaluate(rule["rule"], person, catalog=catalog, now=now)
    if kind == "contactType":
        return person.contact_type in rule["values"]
    if kind == "emailDomain":
        return any(person.email.lower().endswith("@" + d.lower()) for d in rule["values"])
    if kind == "tag":
        return rule["name"] in person.tags
    rows = [row for row in person.interactions if row.schema_id == rule["schemaId"]]
    if kind == "never":
        return not rows
    if kind in ("first", "last"):
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
    properties = catalog[rule["schemaId"]].properties
    n = 0
    for row in rows:
        if start is not None and row.created_date < start:
            continue
        if end is not None and row.created_date > end:
            continue
        ok = True
        for where in rule.get("where", []):
            name = where["property"]
            if name not in row.payload or not _property_matches(
                row.payload[name], where, properties[name]
            ):
                ok = False
                break
        n += ok
    low, high = count_range(rule.get("count"))
    return low <= n <= (high if high != math.inf else n)


def members(
    rule: Mapping[str, Any], people: Sequence[Person], *, catalog: Catalog, now: datetime
) -> set[Any]:
    return {p.id for p in people if evaluate(rule, p, catalog=catalog, now=now)}

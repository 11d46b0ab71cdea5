"""The demo tenant's example segments, made by ``bootstrap_demo`` (through the extension registry)
over the core's sample schemas: one for each kind of rule a marketer reaches for first."""

from typing import Any

from interactions.public import InteractionSchema, Tenant
from segments.models import Segment
from segments.services.segments import segment_create

DEMO_SEGMENTS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    (
        "Happy reviewers",
        "Two or more reviews of 4 stars or more this year.",
        {
            "type": "count",
            "schemaId": "product-review",
            "count": {"op": ">=", "value": 2},
            "window": {"type": "lastDays", "days": 365},
            "where": [{"property": "rating", "op": "gte", "value": 4}],
        },
    ),
    (
        "Unhappy reviewers",
        "Gave 1 or 2 stars in the last 90 days.",
        {
            "type": "count",
            "schemaId": "product-review",
            "window": {"type": "lastDays", "days": 90},
            "where": [{"property": "rating", "op": "lte", "value": 2}],
        },
    ),
    (
        "Active in the last 30 days",
        "Visited a store or bought something in the last 30 days.",
        {
            "type": "any",
            "rules": [
                {
                    "type": "count",
                    "schemaId": "store-visit",
                    "window": {"type": "lastDays", "days": 30},
                },
                {
                    "type": "count",
                    "schemaId": "purchase",
                    "window": {"type": "lastDays", "days": 30},
                },
            ],
        },
    ),
    (
        "Lapsed shoppers",
        "Bought before, but nothing in the last 90 days.",
        {"type": "last", "schemaId": "purchase", "op": "moreThanDaysAgo", "days": 90},
    ),
    (
        "VIP members",
        "Members tagged VIP.",
        {
            "type": "all",
            "rules": [
                {"type": "contactType", "values": ["Member"]},
                {"type": "tag", "name": "VIP"},
            ],
        },
    ),
    (
        "Repairs in Stockholm",
        "Had an item repaired in the Stockholm store.",
        {
            "type": "count",
            "schemaId": "repair",
            "where": [{"property": "store", "op": "eq", "value": "Stockholm"}],
        },
    ),
)


def segments_demo_create(*, tenant: Tenant) -> str:
    """Create the example segments the tenant lacks (by name) whose schemas it has."""
    schemas = set(
        InteractionSchema.objects.active().filter(tenant=tenant).values_list("schema_id", flat=True)
    )
    names = set(Segment.objects.filter(tenant=tenant).values_list("name", flat=True))
    for name, description, rule in DEMO_SEGMENTS:
        if name not in names and _schemas_named(rule) <= schemas:
            segment_create(tenant=tenant, name=name, description=description, rule=rule)
    count = Segment.objects.filter(tenant=tenant).count()
    return f"{count} segment{'' if count == 1 else 's'}"


def _schemas_named(rule: dict[str, Any]) -> set[str]:
    named = {rule["schemaId"]} if "schemaId" in rule else set()
    for child in rule.get("rules", []):
        named |= _schemas_named(child)
    return named

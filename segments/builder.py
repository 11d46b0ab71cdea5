"""Reads for the segment builder page: what its pickers offer (schemas and their segmentable
properties by display name, the facts of the products of schemas with ``productSku``, tags,
contact types) and a preview of the contacts a draft selects."""

from collections import Counter
from typing import Any

from django.db.models import Count

from interactions.public import (
    RESERVED_PRODUCT_SKU,
    Contact,
    ContactTag,
    InteractionSchema,
    Tenant,
    describe_properties,
    segment_products,
)
from segments.rules.catalog import Catalog
from segments.rules.document import PRODUCT_ATTRIBUTES_PREFIX
from segments.selectors import rule_contacts

PREVIEW_SIZE = 10
# The pickers suggest this many tags and contact types; any other can still be typed.
SUGGESTIONS = 500
# Product facts: the most common brands, categories, currencies and attribute values suggested,
# and the attributes found in the products updated last (a catalog may hold 100,000s).
PRODUCT_SUGGESTIONS = 200
ATTRIBUTES_SAMPLE = 1000


def _most_common(products: Any, column: str) -> list[str]:
    rows = (
        products.exclude(**{column: ""})
        .values(column)
        .annotate(n=Count("*"))
        .order_by("-n", column)
        .values_list(column, flat=True)
    )
    return list(rows[:PRODUCT_SUGGESTIONS])


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    return "number" if isinstance(value, int | float) else "string"


def product_choices(*, tenant: Tenant) -> list[dict[str, Any]]:
    """The product facts a rule on a schema with ``productSku`` may name, as property choices
    with the catalog's values to suggest (four queries, each bounded)."""
    products = segment_products(tenant_id=tenant.pk)
    categories: Counter[str] = Counter()
    paths = (
        products.exclude(category_keys="")
        .values("category_keys")
        .annotate(n=Count("*"))
        .order_by("-n", "category_keys")
        .values_list("category_keys", "n")
    )
    for keys, n in paths[:PRODUCT_SUGGESTIONS]:
        for name in keys.strip("\n").split("\n"):
            categories[name] += n
    attributes: dict[str, Counter[Any]] = {}
    for found in products.order_by("-updated_at").values_list("attributes", flat=True)[
        :ATTRIBUTES_SAMPLE
    ]:
        for name, value in (found or {}).items():
            attributes.setdefault(name, Counter())[value] += 1
    choices: list[dict[str, Any]] = [
        {
            "name": "product.brand",
            "label": "Product brand",
            "type": "string",
            "suggestions": _most_common(products, "brand"),
        },
        {
            "name": "product.category",
            "label": "Product category (any level)",
            "type": "string",
            "suggestions": sorted(categories, key=lambda name: (-categories[name], name))[
                :PRODUCT_SUGGESTIONS
            ],
        },
        {"name": "product.price", "label": "Product price", "type": "number"},
        {
            "name": "product.price.currency",
            "label": "Product price currency",
            "type": "string",
            "suggestions": _most_common(products, "price_currency"),
        },
    ]
    for name in sorted(attributes)[:PRODUCT_SUGGESTIONS]:
        values = attributes[name]
        kind = Counter(_kind(value) for value in values.elements()).most_common(1)[0][0]
        choice: dict[str, Any] = {
            "name": f"{PRODUCT_ATTRIBUTES_PREFIX}{name}",
            "label": f"Product {name}",
            "type": kind,
        }
        if kind == "string":
            texts = [value for value in values if isinstance(value, str)]
            texts.sort(key=lambda value: (-values[value], value))
            choice["suggestions"] = texts[:PRODUCT_SUGGESTIONS]
        choices.append(choice)
    return choices


def _property_choice(name: str, spec: dict[str, Any], display_name: str) -> dict[str, Any]:
    kind = spec.get("type", "string")
    if kind == "string" and spec.get("format") in ("date", "date-time"):
        kind = "date"
    choice: dict[str, Any] = {"name": name, "label": display_name, "type": kind}
    if isinstance(spec.get("enum"), list):
        choice["enum"] = spec["enum"]
    if kind == "date":
        choice["format"] = spec["format"]
    return choice


def segment_builder_choices(*, tenant: Tenant) -> dict[str, Any]:
    """What the builder's pickers offer: the tenant's active schemas with their segmentable
    properties (and the product facts, for a schema with ``productSku``), the tags and contact
    types in use to suggest (three queries, four more when a schema has ``productSku``)."""
    schemas = []
    of_products: list[dict[str, Any]] | None = None
    for schema in InteractionSchema.objects.active().filter(tenant=tenant).order_by("display_name"):
        specs = schema.json_schema.get("properties", {})
        properties = [
            _property_choice(prop.name, specs[prop.name], prop.display_name)
            for prop in describe_properties(schema.json_schema)
            if prop.add_to_segmentation
        ]
        if RESERVED_PRODUCT_SKU in specs:
            if of_products is None:
                of_products = product_choices(tenant=tenant)
            properties += of_products
        schemas.append(
            {
                "id": schema.schema_id,
                "label": schema.display_name or schema.schema_id,
                "properties": properties,
            }
        )
    tags = (
        ContactTag.objects.filter(contact__tenant=tenant)
        .values_list("tag__name", flat=True)
        .distinct()
        .order_by("tag__name")
    )
    contact_types = (
        Contact.objects.filter(tenant=tenant)
        .values_list("contact_type", flat=True)
        .distinct()
        .order_by("contact_type")
    )
    return {
        "schemas": schemas,
        "tags": list(tags[:SUGGESTIONS]),
        "contactTypes": list(contact_types[:SUGGESTIONS]),
    }


def rule_preview(
    *, tenant: Tenant, rule: dict[str, Any], catalog: Catalog, size: int = PREVIEW_SIZE
) -> list[dict[str, Any]]:
    """The first ``size`` contacts (by name) a checked rule selects, as id, name and email."""
    rows = (
        rule_contacts(tenant=tenant, rule=rule, catalog=catalog)
        .order_by("last_name", "first_name", "pk")
        .values("pk", "first_name", "last_name", "email")[:size]
    )
    return [
        {
            "id": str(row["pk"]),
            "name": f"{row['first_name']} {row['last_name']}".strip(),
            "email": row["email"],
        }
        for row in rows
    ]

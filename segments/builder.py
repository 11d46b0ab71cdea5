"""Reads for the segment builder page: what its pickers offer (schemas and their segmentable
properties by display name, tags, contact types) and a preview of the contacts a draft selects."""

from typing import Any

from interactions.public import Contact, ContactTag, InteractionSchema, Tenant, describe_properties
from segments.rules.catalog import Catalog
from segments.selectors import rule_contacts

PREVIEW_SIZE = 10
# The pickers suggest this many tags and contact types; any other can still be typed.
SUGGESTIONS = 500


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
    properties, the tags and contact types in use to suggest (three queries)."""
    schemas = []
    for schema in InteractionSchema.objects.active().filter(tenant=tenant).order_by("display_name"):
        specs = schema.json_schema.get("properties", {})
        schemas.append(
            {
                "id": schema.schema_id,
                "label": schema.display_name or schema.schema_id,
                "properties": [
                    _property_choice(prop.name, specs[prop.name], prop.display_name)
                    for prop in describe_properties(schema.json_schema)
                    if prop.add_to_segmentation
                ],
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

"""Sample schemas, contacts and interactions for the demo tenant."""

import json
import random
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from interactions.models import Contact, Tenant
from interactions.services.contacts import contact_create
from interactions.services.interactions import (
    InteractionDraft,
    interaction_check,
    interaction_create,
)
from interactions.services.schemas import interaction_schema_create

# The example schema of the Engage documentation, as published.
REUSE_SCHEMA = {
    "id": "Reuse-Spring-2023",
    "displayName": "Reuse Spring Sale",
    "jsonSchema": {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {
            "price": {"type": "integer", "displayName": "Price", "showInContactCard": "true"},
            "created": {
                "type": "string",
                "format": "date-time",
                "displayName": "Created",
                "showInContactCard": "true",
            },
            "name": {"type": "string", "displayName": "Name", "showInContactCard": "true"},
        },
        "required": ["name"],
    },
}

REVIEW_SCHEMA = {
    "id": "product-review",
    "displayName": "Wrote a review",
    "jsonSchema": {
        "type": "object",
        "properties": {
            "productSku": {
                "type": "string",
                "displayName": "Product",
                "sortOrder": 0,
                "showInContactCard": True,
            },
            "rating": {
                "type": "integer",
                "minimum": 1,
                "maximum": 5,
                "displayName": "Rating",
                "sortOrder": 1,
                "showInContactCard": True,
                "addToSegmentation": True,
            },
            "title": {
                "type": "string",
                "maxLength": 200,
                "displayName": "Title",
                "sortOrder": 2,
                "showInContactCard": True,
            },
            "text": {"type": "string", "displayName": "Review text", "sortOrder": 3},
            "recommends": {
                "type": "boolean",
                "displayName": "Recommends",
                "sortOrder": 4,
                "showInContactCard": True,
                "addToSegmentation": True,
            },
        },
        "required": ["productSku", "rating"],
    },
}

REPAIR_SCHEMA = {
    "id": "repair",
    "displayName": "Repaired an item",
    "jsonSchema": {
        "type": "object",
        "properties": {
            "item": {
                "type": "string",
                "displayName": "Item",
                "sortOrder": 0,
                "showInContactCard": True,
            },
            "cost": {
                "type": "number",
                "minimum": 0,
                "displayName": "Cost",
                "sortOrder": 1,
                "showInContactCard": True,
            },
            "repairedOn": {
                "type": "string",
                "format": "date",
                "displayName": "Repaired on",
                "sortOrder": 2,
                "showInContactCard": True,
            },
            "store": {
                "type": "string",
                "enum": ["Stockholm", "Göteborg", "Malmö"],
                "displayName": "Store",
                "sortOrder": 3,
                "addToSegmentation": True,
            },
        },
        "required": ["item"],
    },
}

SAMPLE_SCHEMAS = (REUSE_SCHEMA, REVIEW_SCHEMA, REPAIR_SCHEMA)
SAMPLE_CONTACTS: tuple[dict[str, Any], ...] = (
    {
        "first_name": "Astrid",
        "last_name": "Lind",
        "email": "astrid@example.com",
        "contact_type": "Member",
    },
    {"first_name": "Bo", "last_name": "Ek", "email": "bo@example.com", "contact_type": "Member"},
    {"first_name": "Cecilia", "last_name": "Berg", "email": "cecilia@example.com"},
)


def _payloads(rng: random.Random, when: datetime) -> list[tuple[str, dict[str, object]]]:
    sku = f"SKU-{rng.randint(1000, 9999)}"
    return [
        (
            "Reuse-Spring-2023",
            {
                "price": rng.choice([100, 250, 400]),
                "name": "Reused jacket",
                "created": when.isoformat(timespec="seconds"),
            },
        ),
        (
            "product-review",
            {
                "productSku": sku,
                "rating": rng.randint(1, 5),
                "title": "Fits well",
                "text": "Warm and light.",
                "recommends": True,
            },
        ),
        (
            "repair",
            {
                "item": "Zip",
                "cost": 149.5,
                "repairedOn": when.date().isoformat(),
                "store": rng.choice(["Stockholm", "Göteborg", "Malmö"]),
            },
        ),
    ]


def sample_data_create(*, tenant: Tenant) -> list[Contact]:
    """Create the sample schemas, contacts and interactions if the tenant has none yet."""
    existing = list(Contact.objects.filter(tenant=tenant).order_by("created_on"))
    if existing:
        return existing
    for schema in SAMPLE_SCHEMAS:
        interaction_schema_create(
            tenant=tenant,
            schema_id=schema["id"],
            display_name=schema["displayName"],
            json_schema=schema["jsonSchema"],
        )
    rng = random.Random(7)  # noqa: S311 - sample data, not secrets
    contacts = [contact_create(tenant=tenant, **attributes) for attributes in SAMPLE_CONTACTS]
    now = timezone.now()
    for contact in contacts:
        for days_ago in range(0, 60, 9):
            when = now - timedelta(days=days_ago, hours=rng.randint(0, 23))
            for schema_id, payload in _payloads(rng, when):
                document = {
                    "contactId": str(contact.pk),
                    "schemaId": schema_id,
                    "createdDate": when.isoformat(),
                    "payload": payload,
                }
                draft = interaction_check(tenant=tenant, document=document)
                assert isinstance(draft, InteractionDraft)  # noqa: S101 - sample data is valid
                interaction_create(
                    tenant=tenant, draft=draft, body=json.dumps(document).encode(), received_at=now
                )
    return contacts

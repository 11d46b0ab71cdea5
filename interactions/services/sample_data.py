"""Sample schemas, contacts and interactions for the demo tenant (what they hold is made in
``interactions.demo_history``; here they are stored, through the services every write goes through).
"""

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from interactions.demo_history import (
    CATEGORIES,
    DEMO_ID_PREFIX,
    STORES,
    DemoContact,
    DemoHistory,
    demo_catalog,
    demo_external_id,
)
from interactions.models import (
    Contact,
    Interaction,
    InteractionEvent,
    InteractionSchema,
    Product,
    Tenant,
)
from interactions.services.contacts import contact_create
from interactions.services.ingest import interactions_receive_many
from interactions.services.products import products_upsert_many
from interactions.services.schemas import interaction_schema_create
from interactions.services.tags import contact_tag_add

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
            "productSku": {"type": "string", "displayName": "Product", "sortOrder": 4},
        },
        "required": ["item"],
    },
}


def _property(
    kind: str, name: str, order: int, *, card: bool = False, segment: bool = False, **rules: Any
) -> dict[str, Any]:
    """A property declaration: its type, display name and place, whether the contact card shows
    it and segments may use it, and any further JSON Schema ``rules``."""
    declared: dict[str, Any] = {"type": kind, **rules, "displayName": name, "sortOrder": order}
    if card:
        declared["showInContactCard"] = True
    if segment:
        declared["addToSegmentation"] = True
    return declared


STORE_VISIT_SCHEMA = {
    "id": "store-visit",
    "displayName": "Visited a store",
    "jsonSchema": {
        "type": "object",
        "properties": {
            "store": _property("string", "Store", 0, card=True, segment=True, enum=list(STORES)),
            "durationMinutes": _property("integer", "Minutes in store", 1, card=True, minimum=0),
            "purchased": _property("boolean", "Bought something", 2, card=True, segment=True),
        },
        "required": ["store"],
    },
}

PURCHASE_SCHEMA = {
    "id": "purchase",
    "displayName": "Bought a product",
    "jsonSchema": {
        "type": "object",
        "properties": {
            "productSku": _property("string", "Product", 0, card=True),
            "category": _property("string", "Category", 1, segment=True, enum=list(CATEGORIES)),
            "quantity": _property("integer", "Quantity", 2, card=True, minimum=1),
            "amount": _property("number", "Amount (SEK)", 3, card=True, segment=True, minimum=0),
            "channel": _property(
                "string", "Channel", 4, card=True, segment=True, enum=["store", "online"]
            ),
            "store": _property("string", "Store", 5, segment=True, enum=list(STORES)),
        },
        "required": ["productSku", "amount"],
    },
}

PRODUCT_VIEW_SCHEMA = {
    "id": "product-view",
    "displayName": "Viewed a product",
    "jsonSchema": {
        "type": "object",
        "properties": {
            "productSku": _property("string", "Product", 0, card=True),
            "category": _property(
                "string", "Category", 1, card=True, segment=True, enum=list(CATEGORIES)
            ),
            "channel": _property("string", "Channel", 2, segment=True, enum=["web", "app"]),
        },
        "required": ["productSku"],
    },
}

SAMPLE_SCHEMAS = (
    REUSE_SCHEMA,
    REVIEW_SCHEMA,
    REPAIR_SCHEMA,
    STORE_VISIT_SCHEMA,
    PURCHASE_SCHEMA,
    PRODUCT_VIEW_SCHEMA,
)
# Interactions stored a transaction: big enough for the bulk path to pay off, small enough that an
# interrupted run loses little (it is resumed by the next, contact by contact).
_DOCUMENTS_A_TRANSACTION = 2000


@dataclass(frozen=True)
class SampleData:
    contacts_added: int
    interactions_added: int
    contacts: int
    interactions: int
    products: int
    showcase: Contact | None


Progress = Callable[[int, int, int], None]


def _schemas_ensure(tenant: Tenant) -> set[str]:
    """Create the sample schemas the tenant lacks; the ids of those it has (active ones)."""
    known = set(InteractionSchema.objects.filter(tenant=tenant).values_list("schema_id", flat=True))
    for schema in SAMPLE_SCHEMAS:
        if schema["id"] not in known:
            interaction_schema_create(
                tenant=tenant,
                schema_id=schema["id"],
                display_name=schema["displayName"],
                json_schema=schema["jsonSchema"],
            )
    return set(
        InteractionSchema.objects.active().filter(tenant=tenant).values_list("schema_id", flat=True)
    )


@transaction.atomic
def _contacts_store(*, tenant: Tenant, people: Sequence[DemoContact], schemas: set[str]) -> int:
    """Create ``people`` with their tags and their interactions (through the bulk ingest path, as
    history: automations don't fire for it), in one transaction; returns the interactions stored."""
    documents: list[dict[str, Any]] = []
    for person in people:
        contact = contact_create(
            tenant=tenant,
            contact_type=person.contact_type,
            email=person.email,
            mobile_phone=person.mobile_phone,
            external_id=person.external_id,
            first_name=person.first_name,
            last_name=person.last_name,
            extra_attributes=person.extra_attributes,
            created_on=person.joined,
        )
        for tag in person.tags:
            contact_tag_add(tenant=tenant, contact=contact, name=tag)
        documents.extend(
            {"contactId": str(contact.pk), **document}
            for document in person.interactions
            if document["schemaId"] in schemas
        )
    results = interactions_receive_many(
        tenant=tenant,
        documents=documents,
        bodies=[json.dumps(document, ensure_ascii=False).encode() for document in documents],
        received_at=timezone.now(),
        source=InteractionEvent.Source.IMPORT,
    )
    refused = [result.refusal for result in results if result.refusal is not None]
    if refused:
        # The generator and the schemas disagree: a bug here, not bad input.
        raise AssertionError(f"sample interactions refused: {refused[0]}")
    return len(results)


def _catalog_ensure(tenant: Tenant, static_url: str) -> None:
    """Put the demo catalog in place (its products replaced whole on every run, so their icons
    follow the address the demo is served at)."""
    results = products_upsert_many(tenant=tenant, documents=demo_catalog(static_url))
    refused = [result.problems for result in results if result.problems]
    if refused:
        raise AssertionError(f"sample products refused: {refused[0]}")


def sample_data_create(
    *,
    tenant: Tenant,
    contacts: int,
    static_url: str = "http://127.0.0.1:8000/static/",
    progress: Progress | None = None,
) -> SampleData:
    """Make the sample schemas, the demo catalog (icons under ``static_url``, the absolute URL of
    the static files) and the first ``contacts`` sample contacts, each with a year of
    interactions, adding only the contacts the tenant lacks: a rerun adds none, a rerun with a
    larger number adds the contacts beyond the earlier ones. ``progress(done, total,
    interactions)`` is called after each transaction."""
    schemas = _schemas_ensure(tenant)
    _catalog_ensure(tenant, static_url)
    history = DemoHistory(timezone.localtime(timezone.now(), ZoneInfo(tenant.timezone)))
    existing = set(
        Contact.objects.filter(tenant=tenant, external_id__startswith=DEMO_ID_PREFIX).values_list(
            "external_id", flat=True
        )
    )
    missing = [number for number in range(contacts) if demo_external_id(number) not in existing]
    added = 0
    pending: list[DemoContact] = []
    done = 0
    for number in missing:
        pending.append(history.contact(number))
        if sum(len(person.interactions) for person in pending) >= _DOCUMENTS_A_TRANSACTION:
            added += _contacts_store(tenant=tenant, people=pending, schemas=schemas)
            done += len(pending)
            pending = []
            if progress is not None:
                progress(done, len(missing), added)
    if pending:
        added += _contacts_store(tenant=tenant, people=pending, schemas=schemas)
        done += len(pending)
    if progress is not None:
        progress(done, len(missing), added)
    tenant_contacts = Contact.objects.filter(tenant=tenant)
    return SampleData(
        contacts_added=len(missing),
        interactions_added=added,
        contacts=tenant_contacts.count(),
        interactions=Interaction.objects.filter(tenant=tenant).count(),
        products=Product.objects.filter(tenant=tenant).count(),
        showcase=(
            tenant_contacts.filter(external_id=demo_external_id(0)).first()
            or tenant_contacts.order_by("created_on").first()
        ),
    )

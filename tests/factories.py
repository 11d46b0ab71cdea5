"""Factories for the domain's rows. Rows that have rules (schemas, interactions) are made through
the services, so tests can't build what the app itself would refuse."""

import json
from datetime import datetime
from typing import Any

import factory
from django.utils import timezone

from interactions.models import Contact, Interaction, InteractionSchema, RefusedInteraction, Tenant
from interactions.services.interactions import (
    InteractionDraft,
    Refusal,
    interaction_check,
    interaction_create,
    interaction_refuse,
)
from interactions.services.schemas import interaction_schema_create, interaction_schema_problems


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant

    slug = factory.Sequence(lambda n: f"tenant-{n}")
    name = factory.LazyAttribute(lambda tenant: tenant.slug.title())


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    tenant = factory.SubFactory(TenantFactory)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda c: f"{c.first_name.lower()}@example.com")


REVIEW_JSON_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "productSku": {"type": "string", "displayName": "Product", "showInContactCard": True},
        "rating": {
            "type": "integer",
            "minimum": 1,
            "maximum": 5,
            "displayName": "Rating",
            "addToSegmentation": True,
        },
        "title": {"type": "string", "maxLength": 20},
    },
    "required": ["rating"],
}


def make_schema(
    tenant: Tenant,
    schema_id: str = "review",
    json_schema: dict[str, Any] | None = None,
    display_name: str = "Wrote a review",
) -> InteractionSchema:
    return interaction_schema_create(
        tenant=tenant,
        schema_id=schema_id,
        display_name=display_name,
        json_schema=json_schema if json_schema is not None else REVIEW_JSON_SCHEMA,
    )


def make_schema_stored_before_the_name_rule(
    tenant: Tenant,
    schema_id: str,
    json_schema: dict[str, Any],
    display_name: str = "Wrote a review",
) -> InteractionSchema:
    """A schema stored before property names had to be identifiers (``bad name!``, ``a.b``).

    No service writes such a schema any more, but rows stored earlier are kept and read as they
    are, so this writes the row directly, with the document checked by every other rule first.
    """
    legal_names = {f"p{n}": spec for n, spec in enumerate(json_schema["properties"].values())}
    problems = interaction_schema_problems(
        tenant=tenant,
        schema_id=schema_id,
        display_name=display_name,
        json_schema={**json_schema, "properties": legal_names, "required": []},
    )
    assert problems == [], problems
    return InteractionSchema.objects.create(
        tenant=tenant,
        schema_id=schema_id,
        display_name=display_name,
        json_schema_text=json.dumps(json_schema, ensure_ascii=False),
    )


def make_interaction(
    contact: Contact,
    schema: InteractionSchema,
    payload: dict[str, Any] | None = None,
    created_date: datetime | None = None,
) -> Interaction:
    document: dict[str, Any] = {
        "contactId": str(contact.pk),
        "schemaId": schema.schema_id,
        "payload": payload if payload is not None else {"rating": 4},
    }
    if created_date is not None:
        document["createdDate"] = created_date.isoformat()
    draft = interaction_check(tenant=contact.tenant, document=document)
    assert isinstance(draft, InteractionDraft), draft
    return interaction_create(
        tenant=contact.tenant,
        draft=draft,
        body=json.dumps(document).encode(),
        received_at=timezone.now(),
    )


def make_refused_interaction(tenant: Tenant, document: dict[str, Any]) -> RefusedInteraction:
    """An interaction POST body the API refuses, kept with its reasons as the API keeps it."""
    refusal = interaction_check(tenant=tenant, document=document)
    assert isinstance(refusal, Refusal), refusal
    return interaction_refuse(
        tenant=tenant,
        refusal=refusal,
        body=json.dumps(document).encode(),
        received_at=timezone.now(),
    )

"""Receiving interactions: check a posted document, then store it or record why it was refused."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction

from engage_site.api.exceptions import ApiError
from interactions import raw_storage
from interactions.events import interaction_event_record
from interactions.exceptions import ContactNotFound, InteractionSchemaNotFound, InvalidInteraction
from interactions.formats import parse_rfc3339
from interactions.models import (
    Contact,
    Interaction,
    InteractionEvent,
    InteractionSchema,
    RefusedInteraction,
    Tenant,
)
from interactions.schema_cache import compiled_schema
from interactions.schema_validation import Problem, is_schema_id
from interactions.selectors import one_or_none


@dataclass(frozen=True)
class InteractionDraft:
    """A checked interaction, ready to store."""

    contact: Contact
    schema: InteractionSchema
    created_date: datetime | None
    payload: dict[str, Any]
    dropped: list[Problem]


@dataclass(frozen=True)
class Refusal:
    """Why a posted interaction can't be stored, in the order the wire contract ranks reasons."""

    error: type[ApiError]
    problems: list[Problem]
    contact_id: uuid.UUID | None = None
    schema_id: str = ""


def _contact_reference(document: dict[str, Any], tenant: Tenant) -> tuple[Any, list[Problem]]:
    """(the contact, or its id when none has it, or None when unreadable; problems)."""
    value = document.get("contactId")
    if value is None:
        return None, [Problem("contactId", "required", "is required")]
    try:
        contact_id = uuid.UUID(value) if isinstance(value, str) else None
    except ValueError:
        contact_id = None
    if contact_id is None:
        return None, [Problem("contactId", "invalid", "must be a UUID")]
    contact = one_or_none(
        Contact.objects.filter(tenant=tenant, pk=contact_id).only("id", "tenant_id")
    )
    return (contact or contact_id), []


def _schema_reference(document: dict[str, Any], tenant: Tenant) -> tuple[Any, list[Problem]]:
    value = document.get("schemaId")
    if value is None:
        return None, [Problem("schemaId", "required", "is required")]
    if not isinstance(value, str) or not value:
        return None, [Problem("schemaId", "type", "must be a non-empty string")]
    if not is_schema_id(value):
        return value, []  # names no schema
    # The document is read only when its compiled validator is not cached yet.
    schema = one_or_none(
        InteractionSchema.objects.active()
        .filter(tenant=tenant, schema_id=value)
        .defer("json_schema_text")
    )
    return (schema or value), []


def interaction_check(*, tenant: Tenant, document: Any) -> InteractionDraft | Refusal:
    """Check a posted interaction against the contract and its schema.

    Reasons rank as the contract says: an unknown contact, then an unknown schema, then every
    rule violation at once. Properties that don't match the schema are dropped, not refused.
    """
    if not isinstance(document, dict):
        return Refusal(InvalidInteraction, [Problem("body", "type", "must be a JSON object")])
    contact, problems = _contact_reference(document, tenant)
    schema, schema_problems = _schema_reference(document, tenant)
    problems += schema_problems
    contact_id = contact.pk if isinstance(contact, Contact) else contact
    schema_id = schema.schema_id if isinstance(schema, InteractionSchema) else str(schema or "")
    if isinstance(contact, uuid.UUID):
        return Refusal(
            ContactNotFound,
            [Problem("contactId", "invalid", "no contact has this id")],
            contact_id=contact_id,
            schema_id=schema_id[:64],
        )
    if isinstance(schema, str):
        return Refusal(
            InteractionSchemaNotFound,
            [Problem("schemaId", "invalid", "no interaction schema has this id")],
            contact_id=contact_id,
            schema_id=schema_id[:64],
        )

    created_date = None
    raw_created = document.get("createdDate")
    if raw_created is not None:
        created_date = parse_rfc3339(raw_created) if isinstance(raw_created, str) else None
        if created_date is None:
            problems.append(
                Problem(
                    "createdDate",
                    "format",
                    "must be an RFC 3339 date-time with an offset, like 2023-05-23T11:13:42.074Z",
                )
            )
    kept: dict[str, Any] = {}
    dropped: list[Problem] = []
    if "payload" not in document or document["payload"] is None:
        problems.append(Problem("payload", "required", "is required"))
    elif isinstance(schema, InteractionSchema):
        split = compiled_schema(schema).split(document["payload"])
        kept, dropped = split.kept, split.dropped
        problems += split.violations
    elif not isinstance(document["payload"], dict):
        problems.append(Problem("payload", "type", "must be a JSON object"))

    if problems or not isinstance(contact, Contact) or not isinstance(schema, InteractionSchema):
        return Refusal(
            InvalidInteraction, problems, contact_id=contact_id, schema_id=schema_id[:64]
        )
    return InteractionDraft(
        contact=contact, schema=schema, created_date=created_date, payload=kept, dropped=dropped
    )


# No savepoint when nested: callers commit the interaction with other rows (the idempotent response)
# and roll back all of them together.
@transaction.atomic(savepoint=False)
def interaction_create(
    *,
    tenant: Tenant,
    draft: InteractionDraft,
    body: bytes,
    received_at: datetime,
    fires_automations: bool = True,
) -> Interaction:
    """Store a checked interaction, its raw copy and its "received" event in one transaction.

    ``fires_automations=False`` is for bulk imports: segments still see the interaction.
    """
    interaction = Interaction(
        tenant=tenant,
        contact=draft.contact,
        schema=draft.schema,
        created_date=draft.created_date or received_at,
        received_at=received_at,
        payload=draft.payload,
        dropped_properties=[problem.as_dict() for problem in draft.dropped],
    )
    interaction.save(force_insert=True)
    raw_storage.raw_copy_stage(
        path=raw_storage.raw_copy_path(
            tenant_id=tenant.pk, kind=raw_storage.INTERACTIONS, object_id=interaction.pk
        ),
        body=body,
    )
    interaction_event_record(
        interaction=interaction,
        kind=InteractionEvent.Kind.RECEIVED,
        fires_automations=fires_automations,
    )
    return interaction


@transaction.atomic
def interaction_refuse(
    *, tenant: Tenant, refusal: Refusal, body: bytes, received_at: datetime
) -> RefusedInteraction:
    """Keep a refused body with its reasons, readable by the tenant until retention ends."""
    refused = RefusedInteraction.objects.create(
        tenant=tenant,
        received_at=received_at,
        status_code=refusal.error.status_code,
        error_code=refusal.error.error_code,
        errors=[problem.as_dict() for problem in refusal.problems],
        contact_id=refusal.contact_id,
        schema_id=refusal.schema_id,
    )
    raw_storage.raw_copy_stage(
        path=raw_storage.raw_copy_path(
            tenant_id=tenant.pk, kind=raw_storage.REFUSED, object_id=refused.pk
        ),
        body=body,
    )
    return refused


def refusal_error(refusal: Refusal, refused: RefusedInteraction) -> ApiError:
    return refusal.error(errors=refusal.problems, extra={"refusedId": str(refused.pk)})


@transaction.atomic
def interaction_delete(*, tenant: Tenant, interaction: Interaction) -> None:
    raw_storage.raw_copies_discard(
        paths=[
            raw_storage.raw_copy_path(
                tenant_id=tenant.pk, kind=raw_storage.INTERACTIONS, object_id=interaction.pk
            )
        ]
    )
    interaction_event_record(interaction=interaction, kind=InteractionEvent.Kind.DELETED)
    Interaction.objects.filter(tenant=tenant, pk=interaction.pk).delete()

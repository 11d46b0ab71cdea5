"""Receiving interactions: check a posted document, then store it or record why it was refused."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Exists, Model

from engage_site.api.exceptions import ApiError
from engage_site.api.ids import uuid_or_none
from engage_site.api.problems import Problem
from engage_site.db import one_or_none
from engage_site.inserts import rows_insert_in_one_statement
from interactions.exceptions import ContactNotFound, InteractionSchemaNotFound, InvalidInteraction
from interactions.formats import DATE_TIME_RANGE, date_time_out_of_range, parse_rfc3339
from interactions.models import (
    Contact,
    Interaction,
    InteractionEvent,
    InteractionSchema,
    PendingRawCopy,
    RefusedInteraction,
    Tenant,
)
from interactions.schema_validation import compiled_schema, is_schema_id
from interactions.services import raw_storage
from interactions.services.contact_activity import (
    contact_activity_add_statements,
    contact_activity_subtract,
)
from interactions.services.events import (
    interaction_event_new,
    interaction_event_record,
    interaction_events_recorded,
)
from interactions.services.idempotency import CommitThenRaise
from interactions.services.segment_values import segment_values_new


@dataclass(frozen=True)
class InteractionDraft:
    """A checked interaction, ready to store."""

    contact_id: uuid.UUID
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


def _contact_id(document: dict[str, Any]) -> tuple[uuid.UUID | None, list[Problem]]:
    value = document.get("contactId")
    if value is None:
        return None, [Problem("contactId", "required", "is required")]
    parsed = uuid_or_none(value)
    if parsed is None:
        return None, [Problem("contactId", "invalid", "must be a UUID")]
    return parsed, []


def _schema_id(document: dict[str, Any]) -> tuple[str | None, list[Problem]]:
    value = document.get("schemaId")
    if value is None:
        return None, [Problem("schemaId", "required", "is required")]
    if not isinstance(value, str) or not value:
        return None, [Problem("schemaId", "type", "must be a non-empty string")]
    return value, []


def _look_up(
    tenant: Tenant, contact_id: uuid.UUID | None, schema_id: str | None
) -> tuple[bool, InteractionSchema | None]:
    """(whether the contact exists, the schema or None), in one query when both are named.

    The schema's document is not read: it is needed only when its validator isn't cached yet.
    """
    schema = None
    if schema_id is not None and is_schema_id(schema_id):
        schemas = (
            InteractionSchema.objects.active()
            .filter(tenant=tenant, schema_id=schema_id)
            .defer("json_schema_text")
        )
        if contact_id is not None:
            contacts = Contact.objects.filter(tenant=tenant, pk=contact_id)
            schemas = schemas.annotate(contact_exists=Exists(contacts))
        schema = one_or_none(schemas)
    if contact_id is None:
        return False, schema
    if schema is not None:
        return bool(schema.contact_exists), schema  # type: ignore[attr-defined]
    return Contact.objects.filter(tenant=tenant, pk=contact_id).exists(), None


def _created_date_problem(value: Any) -> Problem:
    """Why a present ``createdDate`` was not read: no date-time at all, or one beyond the range
    every layer holds (``parse_rfc3339``)."""
    if isinstance(value, str) and date_time_out_of_range(value):
        return Problem("createdDate", "format", f"must be {DATE_TIME_RANGE}")
    return Problem(
        "createdDate",
        "format",
        "must be an RFC 3339 date-time with an offset, like 2023-05-23T11:13:42.074Z",
    )


@dataclass(frozen=True)
class NamedIds:
    """What a posted interaction names, read before anything is looked up."""

    contact_id: uuid.UUID | None
    schema_id: str | None
    problems: list[Problem]

    @property
    def looked_up_schema_id(self) -> str | None:
        """The schema id worth looking up (one that can name a schema), or None."""
        if self.schema_id is None or not is_schema_id(self.schema_id):
            return None
        return self.schema_id


def interaction_names(document: dict[str, Any]) -> NamedIds:
    """The contact and schema ``document`` names, with the problems of their spelling."""
    contact_id, problems = _contact_id(document)
    schema_id, schema_problems = _schema_id(document)
    return NamedIds(contact_id, schema_id, problems + schema_problems)


def not_an_object() -> Refusal:
    """The refusal of a posted interaction that is not a JSON object at all."""
    return Refusal(InvalidInteraction, [Problem("body", "type", "must be a JSON object")])


def interaction_check(*, tenant: Tenant, document: Any) -> InteractionDraft | Refusal:
    """Check a posted interaction against the contract and its schema.

    Reasons rank as the contract says: an unknown contact, then an unknown schema, then every
    rule violation at once. Properties that don't match the schema are dropped, not refused.
    """
    if not isinstance(document, dict):
        return not_an_object()
    names = interaction_names(document)
    contact_exists, schema = _look_up(tenant, names.contact_id, names.schema_id)
    return interaction_check_found(
        document=document, names=names, contact_exists=contact_exists, schema=schema
    )


def interaction_check_found(
    *,
    document: dict[str, Any],
    names: NamedIds,
    contact_exists: bool,
    schema: InteractionSchema | None,
) -> InteractionDraft | Refusal:
    """:func:`interaction_check` once the named contact and schema were looked up (for one
    document, or for a whole batch at once): whether the tenant has the contact, and its active
    schema with that id (None when it has none)."""
    contact_id, schema_id = names.contact_id, names.schema_id
    problems = list(names.problems)
    named_schema = (schema_id or "")[:64]
    if contact_id is not None and not contact_exists:
        return Refusal(
            ContactNotFound,
            [Problem("contactId", "invalid", "no contact has this id")],
            contact_id=contact_id,
            schema_id=named_schema,
        )
    if schema_id is not None and schema is None:
        return Refusal(
            InteractionSchemaNotFound,
            [Problem("schemaId", "invalid", "no interaction schema has this id")],
            contact_id=contact_id,
            schema_id=named_schema,
        )

    created_date = None
    raw_created = document.get("createdDate")
    if raw_created is not None:
        created_date = parse_rfc3339(raw_created) if isinstance(raw_created, str) else None
        if created_date is None:
            problems.append(_created_date_problem(raw_created))
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

    if problems or contact_id is None or schema is None:
        return Refusal(InvalidInteraction, problems, contact_id=contact_id, schema_id=named_schema)
    return InteractionDraft(
        contact_id=contact_id,
        schema=schema,
        created_date=created_date,
        payload=kept,
        dropped=dropped,
    )


@transaction.atomic(savepoint=False)
def interaction_create(
    *,
    tenant: Tenant,
    draft: InteractionDraft,
    body: bytes,
    received_at: datetime,
    source: InteractionEvent.Source = InteractionEvent.Source.API,
) -> Interaction:
    """Store a checked interaction, its raw copy, its "received" event and its segmentable values
    in one transaction (on PostgreSQL in one statement).

    ``source`` says where it came from (the API, a bulk import, a replay); the event carries it.
    No savepoint: when this raises, the caller's whole transaction rolls back.
    """
    interaction = Interaction(
        tenant=tenant,
        contact_id=draft.contact_id,
        schema=draft.schema,
        created_date=draft.created_date or received_at,
        received_at=received_at,
        payload=draft.payload,
        dropped_properties=[problem.as_dict() for problem in draft.dropped],
    )
    # The raw copy staged as raw_storage.raw_copy_stage does, in the same round trip.
    raw_copy = PendingRawCopy(
        path=raw_storage.raw_copy_path(
            tenant_id=tenant.pk, kind=raw_storage.INTERACTIONS, object_id=interaction.pk
        ),
        body=body,
    )
    event = interaction_event_new(
        interaction=interaction, kind=InteractionEvent.Kind.RECEIVED, source=source
    )
    rows: list[Model] = [interaction, raw_copy] if event is None else [interaction, raw_copy, event]
    rows += segment_values_new(interaction=interaction)
    rows_insert_in_one_statement(
        rows,
        # The contact card's counts, in the same round trip.
        and_statements=contact_activity_add_statements(
            tenant=tenant,
            occurrences=[(interaction.contact_id, draft.schema.pk, interaction.created_date)],
        ),
    )
    if event is not None:
        interaction_events_recorded()
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


def interaction_receive(
    *, tenant: Tenant, document: Any, body: bytes, received_at: datetime
) -> Interaction:
    """Check a posted interaction, then store it, or keep the refused body and refuse it.

    ``body`` is the request body exactly as received, kept as the raw copy either way. A refusal
    raises :class:`CommitThenRaise` carrying the refusal's error (with ``refusedId``): run this
    through ``idempotent_write``, which commits the refused interaction, then raises the error.
    """
    checked = interaction_check(tenant=tenant, document=document)
    if isinstance(checked, Refusal):
        refused = interaction_refuse(
            tenant=tenant, refusal=checked, body=body, received_at=received_at
        )
        raise CommitThenRaise(refusal_error(checked, refused))
    return interaction_create(tenant=tenant, draft=checked, body=body, received_at=received_at)


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
    contact_activity_subtract(tenant=tenant, interaction=interaction)

"""Receiving interactions in bulk: the batch route and the import command both go through here.

Every item is checked by the rules of a single POST (``interaction_check_found``), with the contacts
and schemas the whole batch names looked up in two queries instead of two per item. Accepted items
(with their raw copies and events) and refused ones (with theirs) are then written in one
transaction, a multi-row insert per table.
"""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from engage_site.api.exceptions import PayloadTooLarge
from engage_site.api.problems import Problem
from engage_site.db import rows_copy_in
from interactions.extensions import event_subscribers
from interactions.ids import uuid7
from interactions.models import (
    Contact,
    Interaction,
    InteractionEvent,
    InteractionSchema,
    RefusedInteraction,
    Tenant,
)
from interactions.services import raw_storage
from interactions.services.contact_activity import contact_activity_add
from interactions.services.events import interaction_events_dispatch_soon
from interactions.services.interactions import (
    InteractionDraft,
    NamedIds,
    Refusal,
    interaction_check_found,
    interaction_names,
    not_an_object,
)
from interactions.services.segment_values import segment_values_copy_in

# Ids per ``IN (…)`` look-up, well below every backend's limit on query parameters.
_LOOK_UP_CHUNK = 500

T = TypeVar("T")


@dataclass(frozen=True)
class ItemResult:
    """What became of one item: stored as ``interaction_id`` (``dropped`` says what of its payload
    was left out), or refused (``refusal``) and kept as ``refused_id``. An item over the size limit
    of a single POST is refused without being kept, as that POST would be (no ``refused_id``)."""

    interaction_id: uuid.UUID | None = None
    dropped: list[Problem] = field(default_factory=list)
    refusal: Refusal | None = None
    refused_id: uuid.UUID | None = None

    @property
    def status(self) -> int:
        return 200 if self.refusal is None else self.refusal.error.status_code


def _chunks(values: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _look_up_many(
    tenant: Tenant, names: Iterable[NamedIds | None]
) -> tuple[set[uuid.UUID], dict[str, InteractionSchema]]:
    """The tenant's contacts among those named, and its active schemas among those named."""
    contact_ids: set[uuid.UUID] = set()
    schema_ids: set[str] = set()
    for named in names:
        if named is None:
            continue
        if named.contact_id is not None:
            contact_ids.add(named.contact_id)
        if named.looked_up_schema_id is not None:
            schema_ids.add(named.looked_up_schema_id)
    contacts: set[uuid.UUID] = set()
    for chunk in _chunks(sorted(contact_ids), _LOOK_UP_CHUNK):
        contacts.update(
            Contact.objects.filter(tenant=tenant, pk__in=chunk).values_list("pk", flat=True)
        )
    schemas: dict[str, InteractionSchema] = {}
    for schema_chunk in _chunks(sorted(schema_ids), _LOOK_UP_CHUNK):
        found = (
            InteractionSchema.objects.active()
            .filter(tenant=tenant, schema_id__in=schema_chunk)
            .defer("json_schema_text")
        )
        schemas.update((schema.schema_id, schema) for schema in found)
    return contacts, schemas


def interactions_check_many(
    *, tenant: Tenant, documents: Sequence[Any], bodies: Sequence[bytes]
) -> list[InteractionDraft | Refusal]:
    """``interaction_check`` for each document, with the look-ups of all of them batched.

    ``bodies`` are the documents' raw copies; one over ``API_MAX_BODY_BYTES`` is refused with
    ``PayloadTooLarge``, as a single POST of it would be.
    """
    limit = int(settings.API_MAX_BODY_BYTES)
    names = [
        interaction_names(document) if isinstance(document, dict) else None
        for document in documents
    ]
    contacts, schemas = _look_up_many(tenant, names)
    checked: list[InteractionDraft | Refusal] = []
    for document, body, named in zip(documents, bodies, names, strict=True):
        if len(body) > limit:
            too_large = Problem("body", "limit", f"must be at most {limit} bytes")
            checked.append(Refusal(PayloadTooLarge, [too_large]))
        elif named is None:
            checked.append(not_an_object())
        else:
            schema_id = named.looked_up_schema_id
            checked.append(
                interaction_check_found(
                    document=document,
                    names=named,
                    contact_exists=named.contact_id in contacts,
                    schema=schemas.get(schema_id) if schema_id is not None else None,
                )
            )
    return checked


def interactions_receive_many(
    *,
    tenant: Tenant,
    documents: Sequence[Any],
    bodies: Sequence[bytes],
    received_at: datetime,
    source: InteractionEvent.Source = InteractionEvent.Source.API,
) -> list[ItemResult]:
    """Check each document as a single POST would, then store the accepted ones and keep the
    refused ones, each with its raw copy (its item of ``bodies``), all in one transaction.

    Returns one result per document, in order. ``source`` goes on the accepted items' events
    (automations don't fire for ``import``).
    """
    checked = interactions_check_many(tenant=tenant, documents=documents, bodies=bodies)
    results: list[ItemResult] = []
    interactions: list[tuple[Any, ...]] = []
    refused: list[tuple[Any, ...]] = []
    copies: list[tuple[str, bytes]] = []
    for outcome, body in zip(checked, bodies, strict=True):
        if isinstance(outcome, InteractionDraft):
            object_id, kind = uuid7(), raw_storage.INTERACTIONS
            interactions.append(
                (
                    object_id,
                    tenant.pk,
                    outcome.contact_id,
                    outcome.schema.pk,
                    outcome.created_date or received_at,
                    received_at,
                    outcome.payload,
                    [problem.as_dict() for problem in outcome.dropped],
                )
            )
            results.append(ItemResult(interaction_id=object_id, dropped=outcome.dropped))
        elif outcome.error is PayloadTooLarge:
            results.append(ItemResult(refusal=outcome))
            continue
        else:
            object_id, kind = uuid.uuid4(), raw_storage.REFUSED
            refused.append(
                (
                    object_id,
                    tenant.pk,
                    received_at,
                    outcome.error.status_code,
                    outcome.error.error_code,
                    [problem.as_dict() for problem in outcome.problems],
                    outcome.contact_id,
                    outcome.schema_id,
                )
            )
            results.append(ItemResult(refusal=outcome, refused_id=object_id))
        path = raw_storage.raw_copy_path(tenant_id=tenant.pk, kind=kind, object_id=object_id)
        copies.append((path, body))

    with transaction.atomic():
        rows_copy_in(Interaction, _INTERACTION_COLUMNS, interactions)
        segment_values_copy_in(schemas=_schemas_of(checked), interactions=interactions)
        rows_copy_in(RefusedInteraction, _REFUSED_COLUMNS, refused)
        raw_storage.raw_copies_stage(copies=copies)
        _events_record(tenant, interactions, source=source)
        contact_activity_add(tenant=tenant, occurrences=(row[2:5] for row in interactions))
    return results


def _schemas_of(checked: Sequence[InteractionDraft | Refusal]) -> list[InteractionSchema]:
    """The schemas of the accepted items, once each."""
    return list(
        {
            item.schema.pk: item.schema for item in checked if isinstance(item, InteractionDraft)
        }.values()
    )


_INTERACTION_COLUMNS = (
    "id",
    "tenant_id",
    "contact_id",
    "schema_id",
    "created_date",
    "received_at",
    "payload",
    "dropped_properties",
)
_REFUSED_COLUMNS = (
    "id",
    "tenant_id",
    "received_at",
    "status_code",
    "error_code",
    "errors",
    "contact_id",
    "schema_id",
)
_EVENT_COLUMNS = (
    "tenant_id",
    "kind",
    "interaction_id",
    "contact_id",
    "schema_pk",
    "source",
    "created_at",
)


def _events_record(tenant: Tenant, interactions: Sequence[tuple[Any, ...]], *, source: str) -> None:
    """The "received" events of ``interactions`` (rows in ``_INTERACTION_COLUMNS``' order), as
    ``interaction_event_record`` writes one."""
    if not interactions or not event_subscribers():
        return
    now = timezone.now()
    received = InteractionEvent.Kind.RECEIVED
    rows_copy_in(
        InteractionEvent,
        _EVENT_COLUMNS,
        [
            (tenant.pk, received, interaction_id, contact_id, schema_pk, source, now)
            for interaction_id, _, contact_id, schema_pk, *_ in interactions
        ],
    )
    transaction.on_commit(interaction_events_dispatch_soon, robust=True)

"""Keeping ``SegmentableValue`` rows beside the interactions: each write path calls one function
here in the transaction of its interaction rows. Deletes need nothing: the rows go with their
interaction (its cascade), and with a purged schema's interactions.

Beside the properties marked ``addToSegmentation``, the reserved ``productSku`` always has its row
(when the schema declares it and the payload holds it): segment rules on product facts start from
it (docs/segment-values.md).
"""

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from django.db import transaction

from engage_site.db import rows_copy_in
from interactions.formats import parse_instant
from interactions.models import Interaction, InteractionSchema, SegmentableValue
from interactions.models.products import MAX_SKU_LENGTH
from interactions.schema_validation import (
    RESERVED_PRODUCT_SKU,
    PropertyDisplay,
    describe_properties,
    display_hints,
)

_BACKFILL_BATCH = 2000

_COLUMNS = (
    "tenant_id",
    "interaction_id",
    "schema_id",
    "contact_id",
    "created_date",
    "property",
    "number",
    "text",
    "boolean",
    "instant",
)

Typed = tuple[Any, str | None, bool | None, datetime | None]


def _typed(value: Any, prop: PropertyDisplay) -> Typed:
    """(number, text, boolean, instant): the value in the column of its type, the rest None."""
    if isinstance(value, bool):
        return None, None, value, None
    if isinstance(value, int | float):
        return value, None, None, None
    if isinstance(value, str):
        if prop.name == RESERVED_PRODUCT_SKU and len(value) > MAX_SKU_LENGTH:
            # Names no product, and the productSku index holds the text: kept as a value of
            # another type (which only ``ne`` matches).
            return None, None, None, None
        if prop.type == "string" and prop.format in ("date", "date-time"):
            return None, None, None, parse_instant(value)
        return None, value, None, None
    return None, None, None, None


def _segmentable(properties: Iterable[PropertyDisplay]) -> tuple[PropertyDisplay, ...]:
    """The properties whose values get rows: those marked ``addToSegmentation``, and always the
    reserved ``productSku``, which product conditions of segment rules read."""
    return tuple(
        prop for prop in properties if prop.add_to_segmentation or prop.name == RESERVED_PRODUCT_SKU
    )


def _rows(
    properties: Sequence[PropertyDisplay], interaction: Sequence[Any]
) -> Iterator[tuple[Any, ...]]:
    """One row (in ``_COLUMNS``' order) per segmentable property an interaction's payload holds;
    ``interaction`` is (id, tenant_id, contact_id, schema_pk, created_date, payload)."""
    interaction_id, tenant_id, contact_id, schema_pk, created_date, payload = interaction
    for prop in properties:
        if prop.name in payload:
            yield (
                tenant_id,
                interaction_id,
                schema_pk,
                contact_id,
                created_date,
                prop.name,
                *_typed(payload[prop.name], prop),
            )


def segment_values_new(*, interaction: Interaction) -> list[SegmentableValue]:
    """The unsaved segmentable values of a new interaction (its schema's properties marked
    ``addToSegmentation`` that its payload holds), for the caller to insert with it."""
    properties = _segmentable(display_hints(interaction.schema))
    return [
        SegmentableValue(**dict(zip(_COLUMNS, row, strict=True)))
        for row in _rows(
            properties,
            (
                interaction.pk,
                interaction.tenant_id,
                interaction.contact_id,
                interaction.schema_id,
                interaction.created_date,
                interaction.payload,
            ),
        )
    ]


def segment_values_copy_in(
    *, schemas: Iterable[InteractionSchema], interactions: Iterable[Sequence[Any]]
) -> None:
    """Insert the segmentable values of new ``interactions``: rows of (id, tenant_id, contact_id,
    schema_pk, created_date, received_at, payload, dropped_properties), as ingest copies them,
    each of one of ``schemas``."""
    properties = {schema.pk: _segmentable(display_hints(schema)) for schema in schemas}
    rows = [
        value
        for *first, _received_at, payload, _dropped in interactions
        for value in _rows(properties[first[3]], (*first, payload))
    ]
    if rows:
        rows_copy_in(SegmentableValue, _COLUMNS, rows)


def segment_values_rebuild(
    *, schema: InteractionSchema, batch: int = _BACKFILL_BATCH
) -> Iterator[int]:
    """Rewrite the segmentable values of every interaction of ``schema`` from its document as it
    stands (a property that lost ``addToSegmentation`` loses its rows, one that gained it gets
    them): for the backfill, and for any change of which properties are segmentable.

    A generator: each step is one transaction of up to ``batch`` interactions (in id order, so
    an interrupted rebuild can be run again) and yields how many were done so far.
    """
    properties = _segmentable(describe_properties(schema.json_schema))
    interactions = Interaction.objects.filter(tenant_id=schema.tenant_id, schema=schema)
    columns = ("id", "tenant_id", "contact_id", "schema_id", "created_date", "payload")
    done, after = 0, None
    while True:
        page = interactions.order_by("id")
        if after is not None:
            page = page.filter(id__gt=after)
        found = list(page.values_list(*columns)[:batch])
        if not found:
            return
        with transaction.atomic():
            ids = [row[0] for row in found]
            SegmentableValue.objects.filter(
                tenant_id=schema.tenant_id, interaction_id__in=ids
            ).delete()
            rows = [value for interaction in found for value in _rows(properties, interaction)]
            if rows:
                rows_copy_in(SegmentableValue, _COLUMNS, rows)
        done += len(found)
        after = found[-1][0]
        yield done

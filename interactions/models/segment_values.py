"""The segmentable properties of interactions, one typed row each, for segment rules to index."""

import json
from decimal import Decimal
from typing import Any

from django.db import models

from interactions.models.contacts import Contact
from interactions.models.indexes import CoveringIndex
from interactions.models.interactions import Interaction
from interactions.models.schemas import InteractionSchema
from interactions.models.tenants import Tenant


class JsonNumberField(models.Field):  # type: ignore[type-arg]
    """A JSON number compared as the payload's JSON compares it: ``numeric`` (exact, any size)
    on PostgreSQL, as jsonb does; on SQLite a column of NUMERIC affinity, which keeps a 64-bit
    integer exact and anything else as a double, as SQLite's JSON functions read it.

    Values go to the database as the decimal text ``json.dumps`` writes (the payload's own
    spelling of the number): a float cast to ``numeric`` would keep only 15 digits."""

    def db_type(self, connection: Any) -> str:
        return "numeric"

    def get_prep_value(self, value: Any) -> Any:
        if value is None or isinstance(value, Decimal):
            return value
        return Decimal(json.dumps(value))


def _covering(name: str, fields: list[str], condition: models.Q | None = None) -> CoveringIndex:
    return CoveringIndex(fields=fields, covering=["contact"], name=name, condition=condition)


class SegmentableValue(models.Model):
    """One property marked ``addToSegmentation`` of one interaction, in the typed column that
    fits its value (the others NULL; all NULL for a value of none of these types), with the
    interaction's tenant, schema, contact and created date copied beside it.

    Written in the same transaction as the interaction by every write path
    (``interactions.services.segment_values``) and deleted with it (the interaction's cascade),
    so that a rule's property condition is a range scan of one index that also holds the contact
    and the date. Why a side table rather than expression indexes: docs/segment-values.md.
    """

    # Both looked up by the leading columns of the indexes below, so no index of their own.
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, db_index=False, related_name="+")
    interaction = models.ForeignKey(
        Interaction, on_delete=models.CASCADE, db_index=False, related_name="+"
    )
    # Copies of the interaction's (whose foreign keys hold them true, and whose cascade deletes
    # this row first): no constraint or index of their own to maintain on every write.
    schema = models.ForeignKey(
        InteractionSchema,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    created_date = models.DateTimeField()
    property = models.CharField(max_length=128)
    number = JsonNumberField(null=True)
    text = models.TextField(null=True)  # noqa: DJ001 - NULL: the value is not a string
    boolean = models.BooleanField(null=True)
    # A ``date`` (its midnight UTC) or ``date-time`` property's instant.
    instant = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["interaction", "property"], name="segmentable_value_once"
            ),
        ]
        indexes = [
            # Presence, "ne" and text conditions: a property's rows in a window.
            _covering("segmentable_value_any", ["tenant", "schema", "property", "created_date"]),
            # A typed condition: a range of values, then the window, in the index alone. Each row
            # is in at most one of these (partial) indexes.
            _covering(
                "segmentable_value_number",
                ["tenant", "schema", "property", "number", "created_date"],
                models.Q(number__isnull=False),
            ),
            _covering(
                "segmentable_value_boolean",
                ["tenant", "schema", "property", "boolean", "created_date"],
                models.Q(boolean__isnull=False),
            ),
            _covering(
                "segmentable_value_instant",
                ["tenant", "schema", "property", "instant", "created_date"],
                models.Q(instant__isnull=False),
            ),
            # Product conditions: a schema's productSku rows in a window, with the SKU beside the
            # contact, semi-joined to the tenant's products that meet the conditions.
            CoveringIndex(
                fields=["tenant", "schema", "created_date"],
                covering=["contact", "text"],
                name="segmentable_value_product_sku",
                condition=models.Q(property="productSku"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.interaction_id} {self.property}"

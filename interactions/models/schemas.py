import json
from typing import Any

from django.db import models
from django.utils import timezone

from interactions.models.tenants import Tenant


class InteractionSchemaQuerySet(models.QuerySet["InteractionSchema"]):
    def active(self) -> "InteractionSchemaQuerySet":
        return self.filter(deleted_at__isnull=True)


class InteractionSchema(models.Model):
    """A kind of interaction: a JSON Schema (draft 2020-12) with display hints per property.

    Schemas are never edited, so a row's document never changes and a validator compiled from it can
    be cached by primary key. A deleted schema keeps its row (with ``deleted_at`` set) until its
    interactions are purged; its ``schema_id`` is free for a new schema at once.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="schemas")
    schema_id = models.CharField(max_length=64)
    display_name = models.CharField(max_length=200)
    # The jsonSchema exactly as posted (key order and display keywords' spelling kept), which a
    # JSON column would not guarantee on PostgreSQL.
    json_schema_text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(null=True, blank=True, db_index=True)

    objects = InteractionSchemaQuerySet.as_manager()

    class Meta:
        ordering = ["schema_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "schema_id"],
                condition=models.Q(deleted_at__isnull=True),
                name="schema_id_unique_per_tenant",
            )
        ]
        verbose_name = "interaction schema"

    def __str__(self) -> str:
        return self.schema_id

    @property
    def json_schema(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.json_schema_text)
        return document

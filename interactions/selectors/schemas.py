"""Reads of a tenant's interaction schemas (deleted ones, waiting to be purged, are left out)."""

from django.db.models import QuerySet

from engage_site.db import one_or_none
from interactions.exceptions import InteractionSchemaNotFound
from interactions.models import InteractionSchema, Tenant
from interactions.schema_validation import is_schema_id


def interaction_schema_list(*, tenant: Tenant) -> QuerySet[InteractionSchema]:
    return InteractionSchema.objects.active().filter(tenant=tenant).order_by("schema_id")


def interaction_schema_get(*, tenant: Tenant, schema_id: str) -> InteractionSchema:
    if not is_schema_id(schema_id):
        raise InteractionSchemaNotFound()  # no schema can have this id; don't ask the database
    schema = one_or_none(interaction_schema_list(tenant=tenant).filter(schema_id=schema_id))
    if schema is None:
        raise InteractionSchemaNotFound()
    return schema

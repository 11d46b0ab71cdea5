import json
import logging
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from engage_site.api.problems import Problem
from interactions.exceptions import (
    InteractionSchemaAlreadyExists,
    InteractionSchemaLimitExceeded,
    InvalidInteractionSchema,
)
from interactions.extensions import schema_deletion_hooks
from interactions.models import Interaction, InteractionSchema, Tenant
from interactions.schema_validation import SchemaLimits, check_schema_document, is_schema_id
from interactions.selectors import interaction_schema_get
from interactions.services import raw_storage
from interactions.services.contact_activity import contact_activity_forget_schema

logger = logging.getLogger(__name__)

MAX_DISPLAY_NAME_LENGTH = 200
# Room in a schema POST body for everything but the document: the id, displayName and whitespace.
SCHEMA_ENVELOPE_BYTES = 4096
_PURGE_BATCH = 1000


def schema_limits_for(tenant: Tenant) -> SchemaLimits:
    return SchemaLimits(
        max_bytes=settings.SCHEMA_MAX_BYTES,
        max_properties=settings.SCHEMA_MAX_PROPERTIES,
        max_segmentable_properties=tenant.max_segmentable_properties,
    )


def interaction_schema_problems(
    *, tenant: Tenant, schema_id: Any, display_name: Any, json_schema: Any
) -> list[Problem]:
    """Every rule a new schema breaks, in wire field names. Shared by the API and the admin."""
    problems = []
    if schema_id is None:
        problems.append(Problem("id", "required", "is required"))
    elif not is_schema_id(schema_id):
        problems.append(Problem("id", "invalid", "must be 1 to 64 letters, digits, '-' or '_'"))
    if display_name is None:
        problems.append(Problem("displayName", "required", "is required"))
    elif not isinstance(display_name, str) or not display_name.strip():
        problems.append(Problem("displayName", "type", "must be a non-empty string"))
    elif len(display_name) > MAX_DISPLAY_NAME_LENGTH:
        problems.append(
            Problem(
                "displayName", "maxLength", f"must be at most {MAX_DISPLAY_NAME_LENGTH} characters"
            )
        )
    if json_schema is None:
        problems.append(Problem("jsonSchema", "required", "is required"))
    else:
        problems.extend(check_schema_document(json_schema, limits=schema_limits_for(tenant)))
    return problems


def schema_size_problem(size: int) -> Problem:
    return Problem(
        "jsonSchema", "limit", f"must be at most {settings.SCHEMA_MAX_BYTES} bytes, not {size}"
    )


@transaction.atomic
def interaction_schema_create(
    *, tenant: Tenant, schema_id: Any, display_name: Any, json_schema: Any
) -> InteractionSchema:
    """Create a schema after checking every rule; raises InvalidInteractionSchema (every problem),
    InteractionSchemaAlreadyExists or InteractionSchemaLimitExceeded."""
    problems = interaction_schema_problems(
        tenant=tenant, schema_id=schema_id, display_name=display_name, json_schema=json_schema
    )
    if problems:
        if all(problem.code == "limit" for problem in problems):
            raise InteractionSchemaLimitExceeded(errors=problems)
        raise InvalidInteractionSchema(errors=problems)
    # Lock the tenant so that concurrent creates can't both pass the count below.
    Tenant.objects.select_for_update().filter(pk=tenant.pk).first()
    existing = InteractionSchema.objects.active().filter(tenant=tenant)
    if existing.filter(schema_id=schema_id).exists():
        raise InteractionSchemaAlreadyExists(errors=[Problem("id", "invalid", "is already used")])
    if existing.count() >= tenant.max_schemas:
        raise InteractionSchemaLimitExceeded(
            f"A tenant may have at most {tenant.max_schemas} interaction schemas.",
            errors=[Problem("id", "limit", f"at most {tenant.max_schemas} schemas per tenant")],
        )
    schema = InteractionSchema(
        tenant=tenant,
        schema_id=schema_id,
        display_name=display_name,
        json_schema_text=json.dumps(json_schema, ensure_ascii=False),
    )
    try:
        with transaction.atomic():
            schema.save()
    except IntegrityError:
        raise InteractionSchemaAlreadyExists(
            errors=[Problem("id", "invalid", "is already used")]
        ) from None
    return schema


@transaction.atomic
def interaction_schema_delete(*, tenant: Tenant, schema_id: str) -> None:
    """Delete a schema and its interactions. The schema and its interactions are gone from every
    read at once and its id is free; when it has many interactions they are purged in the
    background (``deleted_schemas_purge``)."""
    schema = interaction_schema_get(tenant=tenant, schema_id=schema_id)
    schema.deleted_at = timezone.now()
    schema.save(update_fields=["deleted_at"])
    for hook in schema_deletion_hooks():
        hook(tenant=tenant, schema=schema)
    inline_limit = settings.SCHEMA_DELETE_INLINE_LIMIT
    if Interaction.objects.filter(schema=schema)[: inline_limit + 1].count() <= inline_limit:
        deleted_schema_purge(schema=schema)
    else:
        from interactions.tasks import deleted_schemas_purge_task  # tasks import this module

        transaction.on_commit(deleted_schemas_purge_task.delay)


def deleted_schema_purge(*, schema: InteractionSchema) -> int:
    """Delete a deleted schema's interactions in batches, then the schema row; returns how many
    interactions went. Safe to repeat and to interrupt."""
    purged = 0
    path_for = raw_storage.raw_copy_path
    while True:
        with transaction.atomic():
            ids = list(
                Interaction.objects.filter(schema=schema).values_list("id", flat=True)[
                    :_PURGE_BATCH
                ]
            )
            if not ids:
                contact_activity_forget_schema(schema=schema)
                InteractionSchema.objects.filter(pk=schema.pk, deleted_at__isnull=False).delete()
                return purged
            raw_storage.raw_copies_discard(
                paths=[
                    path_for(tenant_id=schema.tenant_id, kind=raw_storage.INTERACTIONS, object_id=i)
                    for i in ids
                ]
            )
            Interaction.objects.filter(pk__in=ids).delete()
        purged += len(ids)


def deleted_schemas_purge() -> int:
    """Purge every deleted schema still waiting; returns how many interactions went."""
    purged = 0
    for schema in InteractionSchema.objects.filter(deleted_at__isnull=False).order_by("deleted_at"):
        purged += deleted_schema_purge(schema=schema)
        logger.info("Purged deleted schema %s of tenant %s", schema.schema_id, schema.tenant_id)
    return purged

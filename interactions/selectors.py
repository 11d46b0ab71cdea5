"""Reads. Every selector takes the tenant first and starts from the tenant's rows, and a missing
row and another tenant's row raise the same not-found error."""

import uuid

from django.db.models import QuerySet

from engage_site.api.exceptions import InvalidRequest
from engage_site.api.problems import Problem
from engage_site.db import one_or_none
from interactions.exceptions import (
    ContactNotFound,
    InteractionNotFound,
    InteractionSchemaNotFound,
    RefusedInteractionNotFound,
)
from interactions.models import (
    ApiKey,
    Contact,
    Interaction,
    InteractionSchema,
    RefusedInteraction,
    Tenant,
)
from interactions.schema_validation import is_schema_id
from interactions.services import api_keys


def parse_uuid(value: object, *, field: str) -> uuid.UUID:
    """``value`` as a UUID; raises InvalidRequest naming ``field`` if it is not one."""
    if isinstance(value, str):
        try:
            return uuid.UUID(value)
        except ValueError:
            pass
    raise InvalidRequest(
        f"{field} must be a UUID.", errors=[Problem(field, "invalid", "must be a UUID")]
    )


def api_key_authenticate(*, key: str) -> ApiKey | None:
    """The active key ``key`` is, with its tenant, or None."""
    prefix = api_keys.key_prefix(key)
    if prefix is None:
        return None
    api_key = one_or_none(
        ApiKey.objects.select_related("tenant").filter(prefix=prefix, revoked_at__isnull=True)
    )
    if api_key is None or not api_keys.key_matches(key, api_key.secret_hash):
        return None
    return api_key


def contact_get(*, tenant: Tenant, contact_id: uuid.UUID) -> Contact:
    contact = one_or_none(Contact.objects.filter(tenant=tenant, pk=contact_id))
    if contact is None:
        raise ContactNotFound()
    return contact


def contact_count(*, tenant: Tenant) -> int:
    return Contact.objects.filter(tenant=tenant).count()


def contact_ids_matching(
    *,
    tenant: Tenant,
    email: str = "",
    mobile_phone: str = "",
    external_id: str = "",
    limit: int = 100,
) -> list[uuid.UUID]:
    """Ids of the contacts with this email, mobile phone or external id (at most ``limit``)."""
    if "\x00" in email + mobile_phone + external_id:
        return []  # no stored value has a NUL, and PostgreSQL can't compare one
    contacts = Contact.objects.filter(tenant=tenant)
    if email:
        contacts = contacts.filter(email__iexact=email)
    if mobile_phone:
        contacts = contacts.filter(mobile_phone=mobile_phone)
    if external_id:
        contacts = contacts.filter(external_id=external_id)
    return list(contacts.order_by("created_on", "id").values_list("id", flat=True)[:limit])


def interaction_schema_list(*, tenant: Tenant) -> QuerySet[InteractionSchema]:
    return InteractionSchema.objects.active().filter(tenant=tenant).order_by("schema_id")


def interaction_schema_get(*, tenant: Tenant, schema_id: str) -> InteractionSchema:
    if not is_schema_id(schema_id):
        raise InteractionSchemaNotFound()  # no schema can have this id; don't ask the database
    schema = one_or_none(interaction_schema_list(tenant=tenant).filter(schema_id=schema_id))
    if schema is None:
        raise InteractionSchemaNotFound()
    return schema


def interaction_get(*, tenant: Tenant, interaction_id: uuid.UUID) -> Interaction:
    interaction = one_or_none(
        Interaction.objects.filter(
            tenant=tenant, pk=interaction_id, schema__deleted_at__isnull=True
        ).select_related("schema")
    )
    if interaction is None:
        raise InteractionNotFound()
    return interaction


def interaction_list(
    *, tenant: Tenant, contact: Contact, schema: InteractionSchema
) -> QuerySet[Interaction]:
    """A contact's interactions of a schema, for keyset pages on ``(created_date, id)``."""
    return Interaction.objects.filter(tenant=tenant, contact=contact, schema=schema).select_related(
        "schema"
    )


def refused_interaction_get(*, tenant: Tenant, refused_id: uuid.UUID) -> RefusedInteraction:
    refused = one_or_none(RefusedInteraction.objects.filter(tenant=tenant, pk=refused_id))
    if refused is None:
        raise RefusedInteractionNotFound()
    return refused

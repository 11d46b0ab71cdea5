"""Reads of a tenant's interactions, accepted and refused."""

import uuid

from django.db.models import QuerySet

from engage_site.db import one_or_none
from interactions.exceptions import InteractionNotFound, RefusedInteractionNotFound
from interactions.models import Contact, Interaction, InteractionSchema, RefusedInteraction, Tenant


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

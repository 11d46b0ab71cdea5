"""How segments follow the core (registered in ``segments.apps``): the subscriber of interaction
events, and the hooks run when a schema is deleted or a contact erased."""

import uuid
from collections.abc import Sequence
from functools import partial

from django.db import transaction
from django.db.models import F

from interactions.public import Contact, InteractionEvent, InteractionSchema, Tenant
from segments.models import Segment, SegmentMembership
from segments.rules.checks import rule_schema_ids
from segments.services.segments import segment_deactivate
from segments.tasks import segments_update_for_contacts_task


def segment_events_receive(events: Sequence[InteractionEvent]) -> None:
    """Subscriber of the core's interaction events: after the dispatcher commits, re-evaluate the
    touched contacts of tenants that have active segments (one task per tenant and batch)."""
    by_tenant: dict[int, set[str]] = {}
    for event in events:
        by_tenant.setdefault(event.tenant_id, set()).add(str(event.contact_id))
    with_segments = set(
        Segment.objects.filter(tenant_id__in=by_tenant, is_active=True).values_list(
            "tenant_id", flat=True
        )
    )
    for tenant_id in sorted(with_segments):
        contact_ids = sorted(by_tenant[tenant_id])
        transaction.on_commit(
            partial(segments_update_for_contacts_task.delay, tenant_id, contact_ids)
        )


def segments_deactivate_for_schema(*, tenant: Tenant, schema: InteractionSchema) -> None:
    """Schema deletion hook: segments whose rule uses the schema are deactivated and flagged."""
    for segment in Segment.objects.filter(tenant=tenant, is_active=True):
        if schema.schema_id in rule_schema_ids(segment.rule):
            segment_deactivate(
                segment=segment,
                problem=f"The interaction schema {schema.schema_id!r} was deleted; "
                "edit the rule to activate the segment again.",
            )


def segments_forget_contact(*, tenant: Tenant, contact: Contact) -> None:
    """Contact erasure hook: the contact's memberships and their history go, and counts follow."""
    for segment_id in _current_members_of(tenant=tenant, contact=contact):
        Segment.objects.filter(pk=segment_id).update(member_count=F("member_count") - 1)
    SegmentMembership.objects.filter(tenant=tenant, contact=contact).delete()


def _current_members_of(*, tenant: Tenant, contact: Contact) -> list[uuid.UUID]:
    return list(
        SegmentMembership.objects.filter(
            tenant=tenant, contact=contact, exited_at__isnull=True
        ).values_list("segment_id", flat=True)
    )

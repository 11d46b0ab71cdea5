"""Reads of segments: every one starts from the tenant."""

import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from django.db.models import F, QuerySet
from django.utils import timezone

from engage_site.api.ids import uuid_or_none
from engage_site.api.pagination import KeysetPaginator
from engage_site.db import one_or_none
from interactions.public import Contact, InteractionSchema, Tenant, describe_properties
from segments.exceptions import SegmentNotFound
from segments.models import Segment, SegmentMembership
from segments.rules.catalog import Catalog, PropertyInfo, SchemaInfo
from segments.rules.compiler import rule_compile, rule_member_ids_direct


def segment_catalog(*, tenant: Tenant) -> Catalog:
    """The tenant's active schemas as rules see them: id, row and properties (one query)."""
    return {
        schema.schema_id: SchemaInfo(
            pk=schema.pk,
            schema_id=schema.schema_id,
            properties={
                prop.name: PropertyInfo(
                    name=prop.name,
                    type=prop.type,
                    format=prop.format,
                    segmentable=prop.add_to_segmentation,
                )
                for prop in describe_properties(schema.json_schema)
            },
        )
        for schema in InteractionSchema.objects.active().filter(tenant=tenant)
    }


def segment_list(*, tenant: Tenant) -> QuerySet[Segment]:
    return Segment.objects.filter(tenant=tenant).order_by("name", "id")


def segment_get(*, tenant: Tenant, segment_id: uuid.UUID | str) -> Segment:
    """The tenant's segment; the same SegmentNotFound for a malformed, unknown or foreign id."""
    parsed = uuid_or_none(segment_id)
    if parsed is None:
        raise SegmentNotFound()
    segment = one_or_none(Segment.objects.filter(tenant=tenant, pk=parsed))
    if segment is None:
        raise SegmentNotFound()
    return segment


def rule_contacts(
    *, tenant: Tenant, rule: dict[str, Any], catalog: Catalog, now: datetime | None = None
) -> QuerySet[Contact]:
    """The tenant's contacts a checked rule selects right now: one SQL query."""
    q = rule_compile(rule, tenant_id=tenant.pk, catalog=catalog, now=now or timezone.now())
    return Contact.objects.filter(tenant=tenant).filter(q).order_by()


def rule_member_ids(
    *, tenant: Tenant, rule: dict[str, Any], catalog: Catalog, now: datetime | None = None
) -> QuerySet[Any]:
    """The ids of the contacts a checked rule selects, as a one-column query named
    ``member_id``; one SQL statement. A lone count condition (or an ``all`` of only such) is
    answered from the interactions alone (their covering indexes), the rest through the tenant's
    contacts."""
    now = now or timezone.now()
    direct = rule_member_ids_direct(rule, tenant_id=tenant.pk, catalog=catalog, now=now)
    if direct is not None:
        return direct
    return rule_contacts(tenant=tenant, rule=rule, catalog=catalog, now=now).values(
        member_id=F("pk")
    )


def rule_count(*, tenant: Tenant, rule: dict[str, Any], catalog: Catalog) -> int:
    return rule_member_ids(tenant=tenant, rule=rule, catalog=catalog).count()


def segment_members(*, tenant: Tenant, segment: Segment) -> QuerySet[SegmentMembership]:
    """Current members, newest entry first (the keyset order of member pages)."""
    return SegmentMembership.objects.filter(
        tenant=tenant, segment=segment, exited_at__isnull=True
    ).order_by("-entered_at", "-contact_id")


def segment_member_paginator(
    *, tenant: Tenant, segment: Segment, size: int
) -> KeysetPaginator[SegmentMembership]:
    """Keyset pages of current members with their contacts, newest entry first."""
    return KeysetPaginator(
        segment_members(tenant=tenant, segment=segment).select_related("contact"),
        key="entered_at",
        tiebreak="contact_id",
        scope=f"segment-members:{tenant.pk}:{segment.pk}",
        size=size,
    )


def segment_member_rows(*, tenant: Tenant, segment: Segment) -> Iterator[Sequence[Any]]:
    """Every current member as (contact id, contact type, email, first, last name, entered at),
    streamed from a server-side cursor in chunks: constant memory however many there are."""
    return (
        segment_members(tenant=tenant, segment=segment)
        .values_list(
            "contact_id",
            "contact__contact_type",
            "contact__email",
            "contact__first_name",
            "contact__last_name",
            "entered_at",
        )
        .iterator(chunk_size=2000)
    )


def contact_segments(*, tenant: Tenant, contact: Contact) -> list[SegmentMembership]:
    """The segments a contact is in now, with since when (one query)."""
    return list(
        SegmentMembership.objects.filter(tenant=tenant, contact=contact, exited_at__isnull=True)
        .select_related("segment")
        .order_by("segment__name")
    )

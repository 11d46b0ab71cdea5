"""Reads of a tenant's contacts: one by id, lookups by attribute, and the staff contact list."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from engage_site.api.ids import uuid_or_none
from engage_site.db import one_or_none
from interactions.exceptions import ContactNotFound
from interactions.models import Contact, Interaction, Tenant


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


# --- The staff contact list ----------------------------------------------------------------------


@dataclass(frozen=True)
class ContactActivity:
    """How many interactions a contact has, and when and of which kind its latest was."""

    count: int = 0
    last_date: datetime | None = None
    last_schema_name: str = ""


def contact_search(*, tenant: Tenant, query: str = "") -> QuerySet[Contact]:
    """The tenant's contacts, newest first, matching ``query``: a contact id or external id
    exactly, or every word of it within the first name, last name or email (any case)."""
    contacts = Contact.objects.filter(tenant=tenant).order_by("-created_on", "-id")
    query = query.replace("\x00", "").strip()  # PostgreSQL can't compare a NUL
    if not query:
        return contacts
    contact_id = uuid_or_none(query)
    if contact_id is not None:
        return contacts.filter(Q(pk=contact_id) | Q(external_id=query))
    words = Q()
    for word in query.split()[:8]:
        words &= (
            Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(email__icontains=word)
        )
    return contacts.filter(words | Q(external_id=query))


def contact_activity(
    *, tenant: Tenant, contact_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, ContactActivity]:
    """Activity figures for the given contacts (one page of the list), in one query whose cost
    grows with those contacts' interactions only, not with the tenant's. Interactions of a
    deleted schema (waiting to be purged) are left out."""
    if not contact_ids:
        return {}
    interactions = Interaction.objects.filter(
        tenant=tenant, contact=OuterRef("pk"), schema__deleted_at__isnull=True
    )
    newest = interactions.order_by("-created_date", "-id")
    counted = interactions.order_by().values("contact").annotate(n=Count("id")).values("n")
    rows = (
        Contact.objects.filter(tenant=tenant, pk__in=contact_ids)
        .annotate(
            interaction_count=Coalesce(Subquery(counted, output_field=IntegerField()), 0),
            last_date=Subquery(newest.values("created_date")[:1]),
            last_schema_name=Subquery(newest.values("schema__display_name")[:1]),
        )
        .order_by()
        .values_list("pk", "interaction_count", "last_date", "last_schema_name")
    )
    return {
        pk: ContactActivity(count=count, last_date=last, last_schema_name=name or "")
        for pk, count, last, name in rows
    }

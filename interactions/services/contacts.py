from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from interactions.extensions import contact_erasure_hooks
from interactions.models import (
    Contact,
    EventDelivery,
    Interaction,
    InteractionEvent,
    RefusedInteraction,
    Tenant,
)
from interactions.services import raw_storage
from interactions.services.contact_activity import contact_activity_forget_contact
from interactions.services.contact_events import contact_event_record


@transaction.atomic
def contact_create(
    *,
    tenant: Tenant,
    contact_type: str = "Contact",
    email: str = "",
    mobile_phone: str = "",
    external_id: str = "",
    first_name: str = "",
    last_name: str = "",
    extra_attributes: dict[str, Any] | None = None,
    created_on: datetime | None = None,
) -> Contact:
    """A new contact; ``created_on`` (default: now) is for contacts brought from elsewhere."""
    contact = Contact(
        tenant=tenant,
        contact_type=contact_type or "Contact",
        email=email,
        mobile_phone=mobile_phone,
        external_id=external_id,
        first_name=first_name,
        last_name=last_name,
        extra_attributes=extra_attributes or {},
        created_on=created_on or timezone.now(),
    )
    contact.full_clean()
    contact.save()
    contact_event_record(contact=contact, kind=InteractionEvent.Kind.CONTACT_CREATED)
    return contact


@transaction.atomic
def contact_update(*, contact: Contact, changed: list[str]) -> Contact:
    """Save the fields named in ``changed`` (already set on ``contact``)."""
    contact.modified_on = timezone.now()
    contact.full_clean()
    contact.save(update_fields=[*(name for name in changed if name != "id"), "modified_on"])
    contact_event_record(contact=contact, kind=InteractionEvent.Kind.CONTACT_CHANGED)
    return contact


@transaction.atomic
def contact_erase(*, tenant: Tenant, contact: Contact) -> None:
    """Erase ``contact`` and everything about it: interactions, refused bodies, raw copies, and
    whatever other apps keep about it (through ``contact_erasure_hooks``)."""
    interaction_ids = Interaction.objects.filter(tenant=tenant, contact=contact).values_list(
        "id", flat=True
    )
    refused = RefusedInteraction.objects.filter(tenant=tenant, contact_id=contact.pk)
    raw_storage.raw_copies_discard(
        paths=[
            *(
                raw_storage.raw_copy_path(
                    tenant_id=tenant.pk, kind=raw_storage.INTERACTIONS, object_id=interaction_id
                )
                for interaction_id in interaction_ids.iterator()
            ),
            *(
                raw_storage.raw_copy_path(
                    tenant_id=tenant.pk, kind=raw_storage.REFUSED, object_id=refused_id
                )
                for refused_id in refused.values_list("id", flat=True).iterator()
            ),
        ]
    )
    for hook in contact_erasure_hooks():
        hook(tenant=tenant, contact=contact)
    refused.delete()
    # Failed deliveries keep a copy of the event and an error text that may quote its values.
    EventDelivery.objects.filter(tenant=tenant, contact_id=contact.pk).delete()
    Interaction.objects.filter(tenant=tenant, contact=contact).delete()
    contact_activity_forget_contact(tenant=tenant, contact_id=contact.pk)
    contact_event_record(contact=contact, kind=InteractionEvent.Kind.CONTACT_DELETED)
    contact.delete()

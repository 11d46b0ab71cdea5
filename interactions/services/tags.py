from django.db import IntegrityError, transaction

from engage_site.api.exceptions import InvalidRequest
from engage_site.api.problems import Problem
from interactions.models import Contact, ContactTag, InteractionEvent, Tag, Tenant
from interactions.services.contact_events import contact_event_record, contact_events_record

MAX_TAG_LENGTH = 100


def tag_name_problems(name: object) -> list[Problem]:
    if not isinstance(name, str) or not name.strip():
        return [Problem("name", "type", "must be a non-empty string")]
    if len(name) > MAX_TAG_LENGTH:
        return [Problem("name", "maxLength", f"must be at most {MAX_TAG_LENGTH} characters")]
    if any(ord(character) < 32 for character in name):
        return [Problem("name", "invalid", "must not contain control characters")]
    return []


@transaction.atomic
def contact_tag_add(*, tenant: Tenant, contact: Contact, name: str) -> bool:
    """Put the tag ``name`` on ``contact`` (making the tag if needed); False if it was there."""
    problems = tag_name_problems(name)
    if problems:
        raise InvalidRequest(errors=problems)
    tag, _ = Tag.objects.get_or_create(tenant=tenant, name=name.strip())
    try:
        with transaction.atomic():
            ContactTag.objects.create(contact=contact, tag=tag)
    except IntegrityError:
        return False
    contact_event_record(contact=contact, kind=InteractionEvent.Kind.CONTACT_CHANGED)
    return True


@transaction.atomic
def contact_tag_remove(*, tenant: Tenant, contact: Contact, name: str) -> bool:
    """Take the tag off; False if the contact did not have it."""
    deleted, _ = ContactTag.objects.filter(
        contact=contact, tag__tenant=tenant, tag__name=name
    ).delete()
    if deleted:
        contact_event_record(contact=contact, kind=InteractionEvent.Kind.CONTACT_CHANGED)
    return deleted > 0


def contact_tag_names(*, contact: Contact) -> list[str]:
    return list(
        ContactTag.objects.filter(contact=contact)
        .order_by("tag__name")
        .values_list("tag__name", flat=True)
    )


def _wearers_changed(tag: Tag) -> None:
    """Every contact wearing ``tag`` changed (the tag was renamed or is going)."""
    contact_events_record(
        tenant_id=tag.tenant_id,
        contact_ids=ContactTag.objects.filter(tag=tag).values_list("contact_id", flat=True),
        kind=InteractionEvent.Kind.CONTACT_CHANGED,
    )


@transaction.atomic
def tag_save(*, tenant: Tenant, tag: Tag, changed: list[str]) -> Tag:
    """Save a tag of ``tenant`` made or edited in the admin; renaming it changes its wearers."""
    tag.tenant = tenant
    tag.full_clean()
    tag.save()
    if "name" in changed:
        _wearers_changed(tag)
    return tag


@transaction.atomic
def tag_delete(*, tenant: Tenant, tag: Tag) -> None:
    """Delete a tag of ``tenant``, taking it off every contact."""
    _wearers_changed(tag)
    Tag.objects.filter(tenant=tenant, pk=tag.pk).delete()

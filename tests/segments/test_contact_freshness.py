"""Segments follow contact-side changes within seconds, as they follow interactions: a contact
created, changed or deleted, and a tag put on or taken off, write an event to the outbox in the
same transaction, and the dispatcher re-evaluates just those contacts.

Here on the embedded default (tasks in-process, no Redis); tests/segments/test_tasks_on_a_worker.py
has the same flows on a real worker.
"""

import uuid
from typing import Any

import pytest

from interactions.models import InteractionEvent, InteractionSchema, Tag
from interactions.services.contacts import contact_erase, contact_update
from interactions.services.events import interaction_events_dispatch
from interactions.services.roles import ADMIN
from interactions.services.tags import contact_tag_add, tag_delete, tag_save
from segments.models import Segment, SegmentMembership
from segments.services.membership import segment_refresh
from segments.services.segments import segment_create
from tests.conftest import Persona, staff_client
from tests.factories import ContactFactory

NEVER_REVIEWED = {"type": "never", "schemaId": "review"}
TAGGED_VIP = {"type": "tag", "name": "VIP"}
AT_EXAMPLE_COM = {"type": "emailDomain", "values": ["example.com"]}


def members(segment: Segment) -> set[Any]:
    return set(
        SegmentMembership.objects.filter(segment=segment, exited_at__isnull=True).values_list(
            "contact_id", flat=True
        )
    )


def refreshed_segment(persona: Persona, rule: dict[str, Any]) -> Segment:
    segment = segment_create(tenant=persona.tenant, name="Watched", rule=rule)
    segment_refresh(segment=segment)
    return segment


@pytest.fixture
def dispatched(django_capture_on_commit_callbacks: Any) -> Any:
    """Run a change the way a request commits it: its after-commit work (the dispatch hint, the
    dispatcher, the segment update) runs when it ends, in-process as without REDIS_URL."""

    def run(change: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return change()

    return run


def test_a_new_contact_enters_a_never_segment(
    alice: Persona, schemas: dict[str, InteractionSchema], dispatched: Any
) -> None:
    segment = refreshed_segment(alice, NEVER_REVIEWED)
    assert members(segment) == set()

    response = dispatched(lambda: alice.post("contacts", {"email": "new@example.com"}))

    assert response.status_code == 201
    assert members(segment) == {uuid.UUID(response.json()["id"])}
    segment.refresh_from_db()
    assert segment.member_count == 1


def test_a_tag_put_on_enters_the_tag_segment_and_taking_it_off_leaves(
    alice: Persona, dispatched: Any
) -> None:
    ann = ContactFactory(tenant=alice.tenant)
    segment = refreshed_segment(alice, TAGGED_VIP)

    added = dispatched(lambda: alice.post(f"contacts/{ann.pk}/tags", {"name": "VIP"}))
    assert added.status_code == 200
    assert members(segment) == {ann.pk}

    removed = dispatched(lambda: alice.delete(f"contacts/{ann.pk}/tags/VIP"))
    assert removed.status_code == 204
    assert members(segment) == set()
    segment.refresh_from_db()
    assert segment.member_count == 0


def test_an_email_domain_change_moves_a_contact_in_and_out(alice: Persona, dispatched: Any) -> None:
    ann = ContactFactory(tenant=alice.tenant, email="ann@elsewhere.org")
    segment = refreshed_segment(alice, AT_EXAMPLE_COM)
    assert members(segment) == set()

    ann.email = "ann@example.com"
    dispatched(lambda: contact_update(contact=ann, changed=["email"]))
    assert members(segment) == {ann.pk}

    ann.email = "ann@example.org"
    dispatched(lambda: contact_update(contact=ann, changed=["email"]))
    assert members(segment) == set()


def test_renaming_or_deleting_a_tag_moves_everyone_who_wears_it(
    alice: Persona, dispatched: Any
) -> None:
    ann, bob = ContactFactory(tenant=alice.tenant), ContactFactory(tenant=alice.tenant)
    for contact in (ann, bob):
        contact_tag_add(tenant=alice.tenant, contact=contact, name="gold")
    segment = refreshed_segment(alice, TAGGED_VIP)
    tag = ann.contact_tags.get().tag

    tag.name = "VIP"
    dispatched(lambda: tag_save(tenant=alice.tenant, tag=tag, changed=["name"]))
    assert members(segment) == {ann.pk, bob.pk}

    dispatched(lambda: tag_delete(tenant=alice.tenant, tag=tag))
    assert members(segment) == set()


def test_a_deleted_contact_leaves_its_segments(alice: Persona, dispatched: Any) -> None:
    ann = ContactFactory(tenant=alice.tenant)
    dispatched(lambda: contact_tag_add(tenant=alice.tenant, contact=ann, name="VIP"))
    segment = refreshed_segment(alice, TAGGED_VIP)
    assert members(segment) == {ann.pk}

    response = dispatched(lambda: alice.delete(f"contacts/{ann.pk}"))

    assert response.status_code == 204
    assert not SegmentMembership.objects.filter(segment=segment).exists()
    segment.refresh_from_db()
    assert segment.member_count == 0


def test_contact_changes_write_events_with_the_change_and_nothing_else(
    alice: Persona, dispatched: Any
) -> None:
    refreshed_segment(alice, TAGGED_VIP)
    created = alice.post("contacts", {"email": "ann@example.com"})
    ann_id = uuid.UUID(created.json()["id"])
    alice.post(f"contacts/{ann_id}/tags", {"name": "VIP"})
    alice.post(f"contacts/{ann_id}/tags", {"name": "VIP"})  # already on: no change, no event
    alice.delete(f"contacts/{ann_id}")

    events = InteractionEvent.objects.filter(contact_id=ann_id).order_by("id")
    assert [(event.kind, event.interaction_id, event.schema_pk) for event in events] == [
        ("contact_created", None, None),
        ("contact_changed", None, None),
        ("contact_deleted", None, None),
    ]
    assert interaction_events_dispatch() == 3


def test_an_erased_contacts_event_finds_nothing_to_do(
    alice: Persona, schemas: dict[str, InteractionSchema], dispatched: Any
) -> None:
    ann = ContactFactory(tenant=alice.tenant)
    segment = refreshed_segment(alice, NEVER_REVIEWED)
    assert members(segment) == {ann.pk}

    dispatched(lambda: contact_erase(tenant=alice.tenant, contact=ann))

    assert members(segment) == set()
    assert not InteractionEvent.objects.filter(dispatched_at__isnull=True).exists()


def test_an_email_changed_and_a_tag_put_on_in_the_admin_move_the_contact(
    alice: Persona, dispatched: Any
) -> None:
    ann = ContactFactory(tenant=alice.tenant, email="ann@elsewhere.org", contact_type="Contact")
    vip = Tag.objects.create(tenant=alice.tenant, name="VIP")
    by_domain = refreshed_segment(alice, AT_EXAMPLE_COM)
    tagged = refreshed_segment(alice, TAGGED_VIP)
    admin = staff_client(alice.tenant, "ada", role=ADMIN)
    form = {
        "contact_type": "Contact",
        "first_name": ann.first_name,
        "last_name": ann.last_name,
        "email": "ann@example.com",
        "mobile_phone": "",
        "external_id": ann.external_id,
        "extra_attributes": "{}",
        "contact_tags-TOTAL_FORMS": "1",
        "contact_tags-INITIAL_FORMS": "0",
        "contact_tags-MIN_NUM_FORMS": "0",
        "contact_tags-MAX_NUM_FORMS": "1000",
        "contact_tags-0-tag": str(vip.pk),
        "contact_tags-0-contact": str(ann.pk),
    }

    response = dispatched(lambda: admin.post(f"/admin/interactions/contact/{ann.pk}/change/", form))

    assert response.status_code == 302, response.content.decode()[:3000]
    assert members(by_domain) == {ann.pk}
    assert members(tagged) == {ann.pk}

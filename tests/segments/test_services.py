"""Materialised membership: full refresh, incremental updates from interaction events, history of
entries and exits, overlapping refreshes, and the core's hooks (schema deletion, erasure)."""

import random
import threading
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connections

from interactions.models import Contact, InteractionSchema
from interactions.services.contacts import contact_erase
from interactions.services.events import interaction_events_dispatch
from interactions.services.interactions import interaction_delete
from interactions.services.schemas import interaction_schema_delete
from segments.exceptions import InvalidSegment
from segments.models import Segment, SegmentMembership
from segments.selectors import rule_contacts, segment_catalog
from segments.services.membership import (
    segment_contacts_update,
    segment_refresh,
    segments_claim_due,
)
from segments.services.segments import segment_create, segment_update
from tests.conftest import Persona
from tests.factories import ContactFactory, make_interaction, make_schema
from tests.segments.conftest import NOW

DAY = timedelta(days=1)
AT_LEAST_TWO_REVIEWS = {
    "type": "count",
    "schemaId": "review",
    "count": {"op": ">=", "value": 2},
    "window": {"type": "lastDays", "days": 30},
}


def current(segment: Segment) -> set[Any]:
    return set(
        SegmentMembership.objects.filter(segment=segment, exited_at__isnull=True).values_list(
            "contact_id", flat=True
        )
    )


def make_segment(persona: Persona, rule: dict[str, Any] = AT_LEAST_TWO_REVIEWS) -> Segment:
    return segment_create(tenant=persona.tenant, name="Reviewers", rule=rule)


def test_a_refresh_materialises_the_members_and_their_entry_time(
    alice: Persona, schemas: dict[str, InteractionSchema], frozen: datetime
) -> None:
    ann, ben = ContactFactory(tenant=alice.tenant), ContactFactory(tenant=alice.tenant)
    for _ in range(2):
        make_interaction(ann, schemas["review"], created_date=frozen - DAY)
    make_interaction(ben, schemas["review"], created_date=frozen - DAY)
    segment = make_segment(alice)

    assert segment_refresh(segment=segment) == 1
    segment.refresh_from_db()
    assert (segment.member_count, segment.last_refreshed_at) == (1, frozen)
    assert segment.next_refresh_at == frozen + timedelta(minutes=60)
    membership = SegmentMembership.objects.get(segment=segment)
    assert (membership.contact_id, membership.entered_at, membership.exited_at) == (
        ann.pk,
        frozen,
        None,
    )
    # A second refresh with nothing new changes nothing.
    assert segment_refresh(segment=segment) == 1
    assert SegmentMembership.objects.filter(segment=segment).count() == 1


def test_exits_and_re_entries_are_recorded_with_their_time(
    alice: Persona, schemas: dict[str, InteractionSchema], time_machine: Any
) -> None:
    time_machine.move_to(NOW, tick=False)
    ann = ContactFactory(tenant=alice.tenant)
    for _ in range(2):
        make_interaction(ann, schemas["review"], created_date=NOW - DAY)
    segment = make_segment(alice)
    segment_refresh(segment=segment)

    time_machine.move_to(NOW + 30 * DAY, tick=False)  # both reviews now 31 days old
    assert segment_refresh(segment=segment) == 0
    time_machine.move_to(NOW + 31 * DAY, tick=False)
    for _ in range(2):
        make_interaction(ann, schemas["review"])
    assert segment_refresh(segment=segment) == 1

    history = list(
        SegmentMembership.objects.filter(segment=segment)
        .order_by("entered_at")
        .values_list("entered_at", "exited_at")
    )
    assert history == [(NOW, NOW + 30 * DAY), (NOW + 31 * DAY, None)]


def test_incremental_updates_from_interaction_events_keep_the_membership_fresh(
    alice: Persona,
    schemas: dict[str, InteractionSchema],
    frozen: datetime,
    django_capture_on_commit_callbacks: Any,
) -> None:
    ann = ContactFactory(tenant=alice.tenant)
    segment = make_segment(alice)
    segment_refresh(segment=segment)
    for _ in range(2):
        make_interaction(ann, schemas["review"], created_date=frozen - DAY)
    assert current(segment) == set()

    with django_capture_on_commit_callbacks(execute=True):
        interaction_events_dispatch()
    assert current(segment) == {ann.pk}
    segment.refresh_from_db()
    assert segment.member_count == 1

    interaction = ann.interactions.first()
    assert interaction is not None
    interaction_delete(tenant=alice.tenant, interaction=interaction)
    with django_capture_on_commit_callbacks(execute=True):
        interaction_events_dispatch()
    assert current(segment) == set()
    segment.refresh_from_db()
    assert segment.member_count == 0


def test_an_incremental_update_is_idempotent(
    alice: Persona, schemas: dict[str, InteractionSchema], frozen: datetime
) -> None:
    ann = ContactFactory(tenant=alice.tenant)
    for _ in range(2):
        make_interaction(ann, schemas["review"], created_date=frozen)
    segment = make_segment(alice)
    assert segment_contacts_update(segment=segment, contact_ids=[ann.pk]) == (1, 0)
    assert segment_contacts_update(segment=segment, contact_ids=[ann.pk]) == (0, 0)
    assert current(segment) == {ann.pk}


@pytest.mark.parametrize("seed", range(3))
def test_incremental_updates_and_a_full_refresh_give_the_same_membership(
    alice: Persona, schemas: dict[str, InteractionSchema], frozen: datetime, seed: int
) -> None:
    rng = random.Random(seed)
    contacts = [ContactFactory(tenant=alice.tenant) for _ in range(15)]
    incremental = make_segment(alice)
    full = segment_create(tenant=alice.tenant, name="Full", rule=AT_LEAST_TWO_REVIEWS)
    segment_refresh(segment=incremental)
    kept = []
    for _ in range(40):
        contact = rng.choice(contacts)
        if kept and rng.random() < 0.3:
            victim = kept.pop(rng.randrange(len(kept)))
            interaction_delete(tenant=alice.tenant, interaction=victim)
            touched = victim.contact_id
        else:
            age = rng.choice([0, 29, 30, 31]) * DAY
            kept.append(make_interaction(contact, schemas["review"], created_date=frozen - age))
            touched = contact.pk
        segment_contacts_update(segment=incremental, contact_ids=[touched])
    segment_refresh(segment=full)
    assert current(incremental) == current(full)
    expected = set(
        rule_contacts(
            tenant=alice.tenant,
            rule=AT_LEAST_TWO_REVIEWS,
            catalog=segment_catalog(tenant=alice.tenant),
        ).values_list("pk", flat=True)
    )
    assert current(full) == expected
    incremental.refresh_from_db()
    assert incremental.member_count == len(expected)


@pytest.mark.django_db(transaction=True)
def test_two_refreshes_started_at_once_leave_a_correct_membership(
    alice: Persona, schemas: dict[str, InteractionSchema]
) -> None:
    contacts = [ContactFactory(tenant=alice.tenant) for _ in range(30)]
    for contact in contacts[:20]:
        for _ in range(2):
            make_interaction(contact, schemas["review"])
    segment = make_segment(alice)
    start = threading.Barrier(4)
    failures: list[BaseException] = []

    def refresh() -> None:
        try:
            start.wait()
            segment_refresh(segment=segment)
        except BaseException as error:  # reported by the test below
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=refresh) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert current(segment) == {contact.pk for contact in contacts[:20]}
    # Each contact entered once: no duplicate stays, no spurious exits.
    assert SegmentMembership.objects.filter(segment=segment).count() == 20
    segment.refresh_from_db()
    assert segment.member_count == 20
    # Five writes one after the other: the refresh enqueued at creation, then the four.
    assert segment.version == 5


def test_deleting_a_schema_deactivates_and_flags_the_segments_that_use_it(
    alice: Persona, schemas: dict[str, InteractionSchema], frozen: datetime
) -> None:
    using = make_segment(alice)
    other = segment_create(
        tenant=alice.tenant, name="Buyers", rule={"type": "count", "schemaId": "purchase"}
    )
    interaction_schema_delete(tenant=alice.tenant, schema_id="review")
    using.refresh_from_db()
    other.refresh_from_db()
    assert (using.is_active, using.problem) == (
        False,
        "The interaction schema 'review' was deleted; edit the rule to activate the segment again.",
    )
    assert (other.is_active, other.problem) == (True, "")
    # A refresh of an inactive segment changes nothing; editing it with a valid rule revives it.
    assert segment_refresh(segment=using) == 0
    with pytest.raises(InvalidSegment):
        segment_update(segment=using, name="Reviewers", rule=AT_LEAST_TWO_REVIEWS)
    make_schema(alice.tenant)
    segment_update(segment=using, name="Reviewers", rule=AT_LEAST_TWO_REVIEWS)
    using.refresh_from_db()
    assert (using.is_active, using.problem, using.rule_version) == (True, "", 2)


def test_erasing_a_contact_removes_its_memberships_and_updates_counts(
    alice: Persona, schemas: dict[str, InteractionSchema], frozen: datetime
) -> None:
    ann, ben = ContactFactory(tenant=alice.tenant), ContactFactory(tenant=alice.tenant)
    for contact in (ann, ben):
        for _ in range(2):
            make_interaction(contact, schemas["review"], created_date=frozen)
    segment = make_segment(alice)
    segment_refresh(segment=segment)
    contact_erase(tenant=alice.tenant, contact=ann)
    segment.refresh_from_db()
    assert segment.member_count == 1
    assert set(SegmentMembership.objects.values_list("contact_id", flat=True)) == {ben.pk}
    assert not Contact.objects.filter(pk=ann.pk).exists()


def test_it_refuses_a_rule_with_a_non_segmentable_property(
    alice: Persona, schemas: dict[str, InteractionSchema]
) -> None:
    rule = {
        "type": "count",
        "schemaId": "review",
        "where": [{"property": "title", "op": "eq", "value": "x"}],
    }
    with pytest.raises(InvalidSegment) as raised:
        segment_create(tenant=alice.tenant, name="Titles", rule=rule)
    assert raised.value.body() == {
        "statusCode": 400,
        "errorCode": "InvalidSegment",
        "message": "The segment or its rule is not valid.",
        "errors": [
            {
                "field": "rule.where.0.property",
                "code": "invalid",
                "message": "'title' of review is not segmentable (addToSegmentation is not true)",
            }
        ],
    }
    assert not Segment.objects.exists()


def test_periodic_refreshes_are_claimed_once_per_interval(
    alice: Persona, schemas: dict[str, InteractionSchema], frozen: datetime
) -> None:
    segment = make_segment(alice)
    assert segments_claim_due(now=frozen) == [(alice.tenant.pk, segment.pk)]
    assert segments_claim_due(now=frozen) == []
    assert segments_claim_due(now=frozen + timedelta(minutes=59)) == []
    assert segments_claim_due(now=frozen + timedelta(minutes=60)) == [(alice.tenant.pk, segment.pk)]


def test_a_refresh_deactivates_a_segment_whose_rule_no_longer_fits_its_schema(
    alice: Persona, schemas: dict[str, InteractionSchema], frozen: datetime
) -> None:
    rule = {
        "type": "count",
        "schemaId": "review",
        "where": [{"property": "rating", "op": "gte", "value": 4}],
    }
    segment = segment_create(tenant=alice.tenant, name="Fans", rule=rule)
    # The schema is deleted and made again under the same id, now without a segmentable rating;
    # the segment was deactivated by the deletion, and an old refresh task must not revive it.
    interaction_schema_delete(tenant=alice.tenant, schema_id="review")
    Segment.objects.filter(pk=segment.pk).update(is_active=True, problem="")
    make_schema(
        alice.tenant,
        json_schema={"type": "object", "properties": {"rating": {"type": "integer"}}},
    )
    assert segment_refresh(segment=segment) == 0
    segment.refresh_from_db()
    assert (segment.is_active, segment.problem) == (
        False,
        "The rule no longer fits the schemas: 'rating' of review is not segmentable "
        "(addToSegmentation is not true).",
    )

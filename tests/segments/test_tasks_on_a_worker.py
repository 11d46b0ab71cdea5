"""Segments kept fresh by a real Celery worker on Redis (runs when REDIS_URL is set)."""

from typing import Any

import pytest

from segments.models import Segment, SegmentMembership
from segments.tasks import segments_refresh_due_task
from tests.conftest import Persona, wait_until
from tests.factories import ContactFactory, make_schema

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

TWO_GOOD_REVIEWS = {
    "type": "count",
    "schemaId": "review",
    "count": {"op": ">=", "value": 2},
    "window": {"type": "lastDays", "days": 30},
    "where": [{"property": "rating", "op": "gte", "value": 4}],
}
NEVER_REVIEWED = {"type": "never", "schemaId": "review"}
TAGGED_VIP = {"type": "tag", "name": "VIP"}


def test_a_contact_enters_a_segment_within_seconds_of_a_qualifying_interaction(
    celery_worker: Any, alice: Persona
) -> None:
    make_schema(alice.tenant)
    contact = ContactFactory(tenant=alice.tenant)
    created = alice.post("segments", {"name": "Fans", "rule": TWO_GOOD_REVIEWS})
    assert created.status_code == 201
    segment = Segment.objects.get(pk=created.json()["id"])

    def refreshed() -> bool:
        """the first refresh, enqueued at creation, has run"""
        return Segment.objects.filter(pk=segment.pk, last_refreshed_at__isnull=False).exists()

    wait_until(refreshed, timeout=10)
    body = {"contactId": str(contact.pk), "schemaId": "review", "payload": {"rating": 5}}
    assert alice.post("interactions", body).status_code == 200
    assert not SegmentMembership.objects.filter(segment=segment).exists()

    assert alice.post("interactions", body).status_code == 200

    def entered() -> bool:
        """the contact is a member, with no manual refresh"""
        return SegmentMembership.objects.filter(
            segment=segment, contact=contact, exited_at__isnull=True
        ).exists()

    wait_until(entered, timeout=5)
    assert alice.get(f"segments/{segment.pk}/count").json()["count"] == 1


def test_the_periodic_job_refreshes_due_segments_on_the_worker(
    celery_worker: Any, alice: Persona
) -> None:
    make_schema(alice.tenant)
    created = alice.post("segments", {"name": "Fans", "rule": TWO_GOOD_REVIEWS})
    segment_id = created.json()["id"]

    def refreshed() -> bool:
        """the first refresh has run"""
        return Segment.objects.filter(pk=segment_id, last_refreshed_at__isnull=False).exists()

    wait_until(refreshed, timeout=10)
    first = Segment.objects.get(pk=segment_id).last_refreshed_at
    Segment.objects.filter(pk=segment_id).update(next_refresh_at=first)
    segments_refresh_due_task.delay()

    def refreshed_again() -> bool:
        """a second refresh has run"""
        return Segment.objects.filter(pk=segment_id, last_refreshed_at__gt=first).exists()

    wait_until(refreshed_again, timeout=10)


def test_a_new_contact_and_a_tag_put_on_reach_their_segments_on_the_worker(
    celery_worker: Any, alice: Persona
) -> None:
    make_schema(alice.tenant)
    never = alice.post("segments", {"name": "Never reviewed", "rule": NEVER_REVIEWED}).json()
    vip = alice.post("segments", {"name": "VIP", "rule": TAGGED_VIP}).json()

    def refreshed() -> bool:
        """the first refreshes, enqueued at creation, have run"""
        return (
            Segment.objects.filter(
                pk__in=[never["id"], vip["id"]], last_refreshed_at__isnull=False
            ).count()
            == 2
        )

    wait_until(refreshed, timeout=10)
    created = alice.post("contacts", {"email": "new@example.com"})
    assert created.status_code == 201
    contact_id = created.json()["id"]

    def member_of(segment_id: str) -> bool:
        return SegmentMembership.objects.filter(
            segment_id=segment_id, contact_id=contact_id, exited_at__isnull=True
        ).exists()

    def entered_never() -> bool:
        """the new contact is in "never reviewed", with no manual refresh"""
        return member_of(never["id"])

    wait_until(entered_never, timeout=5)
    assert alice.post(f"contacts/{contact_id}/tags", {"name": "VIP"}).status_code == 200

    def entered_vip() -> bool:
        """the tagged contact is in "VIP" """
        return member_of(vip["id"])

    wait_until(entered_vip, timeout=5)
    assert alice.delete(f"contacts/{contact_id}/tags/VIP").status_code == 204

    def left_vip() -> bool:
        """the untagged contact has left "VIP" """
        return not member_of(vip["id"])

    wait_until(left_vip, timeout=5)

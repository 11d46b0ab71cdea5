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

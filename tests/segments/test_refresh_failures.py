"""A segment whose refresh raises is marked failed with its reason, shown so on its pages and in
the API, and retried with back-off; the other segments go on."""

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.urls import reverse

from interactions.models import InteractionSchema
from segments.models import Segment, SegmentMembership
from segments.services import membership
from segments.services.membership import segments_update_for_contacts
from segments.services.segments import segment_create
from segments.tasks import segments_refresh_due_task
from tests.conftest import Persona, staff_client
from tests.factories import ContactFactory, make_interaction


def rule(days: int) -> dict[str, Any]:
    return {
        "type": "count",
        "schemaId": "review",
        "count": {"op": ">=", "value": 1},
        "window": {"type": "lastDays", "days": days},
        "where": [{"property": "rating", "op": "gte", "value": 4}],
    }


BROKEN_DAYS = 29  # the rule of the segment whose evaluation raises


@pytest.fixture
def broken(monkeypatch: pytest.MonkeyPatch) -> dict[str, bool]:
    """Evaluating the 29-day rule raises while ``state["broken"]`` holds."""
    state = {"broken": True}
    real = membership.rule_member_ids

    def rule_member_ids(*, rule: Any, **kwargs: Any) -> Any:
        if state["broken"] and rule["window"]["days"] == BROKEN_DAYS:
            raise OverflowError("Python int too large to convert to SQLite INTEGER")
        return real(rule=rule, **kwargs)

    monkeypatch.setattr(membership, "rule_member_ids", rule_member_ids)
    return state


@pytest.fixture
def two_segments(
    alice: Persona, schemas: dict[str, InteractionSchema], frozen: datetime, settings: Any
) -> tuple[Segment, Segment]:
    settings.EVENT_RETRY_BASE_SECONDS = 30
    contact = ContactFactory(tenant=alice.tenant)
    make_interaction(contact, schemas["review"], {"rating": 5}, created_date=frozen)
    bad = segment_create(tenant=alice.tenant, name="Bad", rule=rule(BROKEN_DAYS))
    good = segment_create(tenant=alice.tenant, name="Good", rule=rule(30))
    return bad, good


def test_a_failing_refresh_is_recorded_and_retried_with_back_off_while_others_go_on(
    alice: Persona,
    two_segments: tuple[Segment, Segment],
    broken: dict[str, bool],
    time_machine: Any,
) -> None:
    bad, good = two_segments
    now = datetime.now().astimezone()
    assert segments_refresh_due_task() == 2
    bad.refresh_from_db()
    good.refresh_from_db()
    assert (good.member_count, good.refresh_failed) == (1, False)
    assert good.last_refreshed_at is not None
    assert bad.refresh_failures == 1
    assert bad.refresh_error == "OverflowError: Python int too large to convert to SQLite INTEGER"
    assert bad.next_refresh_at == now + timedelta(seconds=30)
    assert bad.last_refreshed_at is None

    failure = alice.get(f"segments/{bad.pk}").json()["refreshFailure"]
    assert failure == {
        "reason": "OverflowError: Python int too large to convert to SQLite INTEGER",
        "failedAt": "2026-06-15T12:00:00Z",
        "failures": 1,
        "nextAttempt": "2026-06-15T12:00:30Z",
    }
    assert alice.get(f"segments/{good.pk}").json()["refreshFailure"] is None

    # Not due before its back-off; then again, twice as long after the second failure.
    time_machine.move_to(now + timedelta(seconds=29), tick=False)
    assert segments_refresh_due_task() == 0
    time_machine.move_to(now + timedelta(seconds=30), tick=False)
    assert segments_refresh_due_task() == 1
    bad.refresh_from_db()
    assert bad.refresh_failures == 2
    assert bad.next_refresh_at == now + timedelta(seconds=90)

    broken["broken"] = False
    time_machine.move_to(now + timedelta(seconds=90), tick=False)
    assert segments_refresh_due_task() == 1
    bad.refresh_from_db()
    assert (bad.member_count, bad.refresh_failures, bad.refresh_error) == (1, 0, "")
    assert bad.next_refresh_at == now + timedelta(seconds=90, minutes=60)


def test_the_back_off_never_goes_beyond_the_segment_s_interval(
    two_segments: tuple[Segment, Segment], broken: dict[str, bool]
) -> None:
    bad, _ = two_segments
    Segment.objects.filter(pk=bad.pk).update(refresh_failures=20)
    segments_refresh_due_task()
    bad.refresh_from_db()
    assert bad.refresh_failures == 21
    assert bad.next_refresh_at - bad.refresh_failed_at == timedelta(minutes=60)


def test_the_pages_show_the_failure(
    alice: Persona, two_segments: tuple[Segment, Segment], broken: dict[str, bool]
) -> None:
    bad, _ = two_segments
    segments_refresh_due_task()
    client = staff_client(alice.tenant, username="mia")
    listing = client.get(reverse("segment-list")).content.decode()
    assert "Refresh failed" in listing
    assert "OverflowError: Python int too large" in listing
    members = client.get(reverse("segment-members", args=[bad.pk])).content.decode()
    assert "The last refresh failed (1 time in a row" in members
    edit = client.get(reverse("segment-edit", args=[bad.pk])).content.decode()
    assert "The last refresh failed: OverflowError" in edit


def test_an_incremental_update_that_fails_marks_its_segment_and_the_others_are_updated(
    alice: Persona,
    two_segments: tuple[Segment, Segment],
    broken: dict[str, bool],
    schemas: dict[str, InteractionSchema],
    frozen: datetime,
) -> None:
    bad, good = two_segments
    broken["broken"] = False
    segments_refresh_due_task()
    broken["broken"] = True
    newcomer = ContactFactory(tenant=alice.tenant)
    make_interaction(newcomer, schemas["review"], {"rating": 5}, created_date=frozen)

    assert segments_update_for_contacts(tenant_id=alice.tenant.pk, contact_ids=[newcomer.pk]) == 1
    assert SegmentMembership.objects.filter(segment=good, contact=newcomer).exists()
    assert not SegmentMembership.objects.filter(segment=bad, contact=newcomer).exists()
    bad.refresh_from_db()
    assert bad.refresh_failures == 1
    # Its full refresh, which catches up on the newcomer, comes after the back-off.
    assert bad.next_refresh_at == frozen + timedelta(seconds=30)


def test_refresh_now_on_a_failing_segment_records_the_failure_and_says_why(
    alice: Persona, two_segments: tuple[Segment, Segment], broken: dict[str, bool]
) -> None:
    bad, _ = two_segments
    client = staff_client(alice.tenant, username="mia")
    response = client.post(reverse("segment-refresh", args=[bad.pk]), follow=True)
    assert response.status_code == 200
    assert (
        "The refresh failed and will be tried again: OverflowError: Python int too large to "
        "convert to SQLite INTEGER"
    ) in response.content.decode()
    bad.refresh_from_db()
    assert bad.refresh_failures == 1

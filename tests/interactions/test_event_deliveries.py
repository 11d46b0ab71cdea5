"""A subscriber raising on some events: the others are handed over, the failing ones are retried
with back-off, parked after ``EVENT_MAX_ATTEMPTS``, listed for the tenant's admins and replayed."""

import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from interactions.extensions import Extension, extension_registered
from interactions.models import Contact, EventDelivery, InteractionEvent
from interactions.public import ADMIN, MARKETER
from interactions.services.event_deliveries import (
    RetryCounts,
    event_deliveries_retry,
    retry_delay,
)
from interactions.services.events import interaction_events_dispatch
from tests.conftest import Persona, staff_client
from tests.factories import ContactFactory, make_interaction, make_schema

SUBSCRIBER = "tests.interactions.test_event_deliveries.Picky"


class Picky:
    """A subscriber that raises on any batch holding a poisoned interaction, and records the
    interactions of the batches it takes, in the order it got them."""

    def __init__(self) -> None:
        self.poisoned: set[Any] = set()
        self.taken: list[Any] = []
        self.calls = 0

    def __call__(self, events: Any) -> None:
        self.calls += 1
        for event in events:
            if event.interaction_id in self.poisoned:
                raise OverflowError(f"int too large to convert: {event.interaction_id}")
        self.taken.extend(event.interaction_id for event in events)


@pytest.fixture
def picky() -> Iterator[Picky]:
    subscriber = Picky()
    with extension_registered(Extension(app_label="picky", event_subscribers=(subscriber,))):
        yield subscriber


@pytest.fixture(autouse=True)
def _retry_settings(settings: Any) -> None:
    settings.EVENT_RETRY_BASE_SECONDS = 30
    settings.EVENT_MAX_ATTEMPTS = 3


def later(seconds: float) -> Any:
    return time_machine.travel(timezone.now() + timedelta(seconds=seconds), tick=False)


@pytest.fixture
def world(alice: Persona, bob: Persona) -> dict[str, Any]:
    a_schema, b_schema = make_schema(alice.tenant), make_schema(bob.tenant)
    ann, amy = ContactFactory(tenant=alice.tenant), ContactFactory(tenant=alice.tenant)
    ben = ContactFactory(tenant=bob.tenant)
    return {"a_schema": a_schema, "b_schema": b_schema, "ann": ann, "amy": amy, "ben": ben}


def test_one_poison_event_is_isolated_and_every_other_event_of_the_batch_is_handed_over(
    picky: Picky, world: dict[str, Any]
) -> None:
    ann, amy, ben = world["ann"], world["amy"], world["ben"]
    interactions = []
    for index in range(40):
        contact = (ann, amy, ben)[index % 3]
        schema = world["b_schema"] if contact is ben else world["a_schema"]
        interactions.append(make_interaction(contact, schema))
    poison = interactions[9]  # ann's
    picky.poisoned.add(poison.pk)

    assert interaction_events_dispatch() == 40
    # Everyone else's events, in commit order; ann's after the poison wait behind it.
    ann_after = {i.pk for i in interactions[10:] if i.contact_id == ann.pk}
    assert picky.taken == [i.pk for i in interactions if i != poison and i.pk not in ann_after]
    assert picky.calls < 20  # halving, not one call per event
    assert InteractionEvent.objects.filter(dispatched_at__isnull=True).count() == 0
    failed = EventDelivery.objects.get(status="retrying")
    assert (failed.interaction_id, failed.attempts, failed.subscriber) == (poison.pk, 1, SUBSCRIBER)
    assert failed.last_error.startswith("OverflowError: int too large to convert")
    waiting = EventDelivery.objects.filter(status="waiting").order_by("event_id")
    assert [w.interaction_id for w in waiting] == [
        i.pk for i in interactions[11:] if i.pk in ann_after
    ]

    # A later event of ann waits too; amy's goes straight through.
    more_ann = make_interaction(ann, world["a_schema"])
    more_amy = make_interaction(amy, world["a_schema"])
    interaction_events_dispatch()
    assert picky.taken[-1] == more_amy.pk
    assert EventDelivery.objects.filter(interaction_id=more_ann.pk, status="waiting").exists()

    # Fixed: the retry hands ann's events over in their order.
    picky.poisoned.clear()
    with later(31):
        counts = event_deliveries_retry()
    assert counts.delivered == len(ann_after) + 2
    assert picky.taken[-(len(ann_after) + 2) :] == [
        poison.pk,
        *sorted_by_event(ann_after),
        more_ann.pk,
    ]
    assert set(EventDelivery.objects.values_list("status", flat=True)) == {"delivered"}


def sorted_by_event(interaction_ids: set[Any]) -> list[Any]:
    return list(
        InteractionEvent.objects.filter(interaction_id__in=interaction_ids)
        .order_by("id")
        .values_list("interaction_id", flat=True)
    )


def test_retries_back_off_exponentially_then_the_event_is_parked_and_logged(
    picky: Picky, world: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    poison = make_interaction(world["ann"], world["a_schema"])
    picky.poisoned.add(poison.pk)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        interaction_events_dispatch()
    delivery = EventDelivery.objects.get()
    assert delivery.next_attempt_at == start + timedelta(seconds=30)
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 8, 20)] == [30, 60, 120, 3600, 3600]

    # Not before it is due.
    with time_machine.travel(start + timedelta(seconds=29), tick=False):
        assert event_deliveries_retry().retrying == 0
    second = start + timedelta(seconds=30)
    with time_machine.travel(second, tick=False):
        assert event_deliveries_retry().retrying == 1
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.next_attempt_at) == (2, second + timedelta(seconds=60))
    with time_machine.travel(second + timedelta(seconds=59), tick=False):
        assert event_deliveries_retry() == RetryCounts()
    caplog.clear()
    with (
        caplog.at_level(logging.WARNING, logger="interactions.services.event_deliveries"),
        time_machine.travel(second + timedelta(seconds=60), tick=False),
    ):
        assert event_deliveries_retry().parked == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("parked", 3, None)
    [record] = caplog.records
    assert record.levelname == "ERROR"
    assert record.getMessage().startswith(
        f"Event {delivery.event_id} of tenant {world['ann'].tenant_id} parked for subscriber "
        f"{SUBSCRIBER} after 3 attempts: OverflowError"
    )
    # Parked: never tried again on its own.
    with later(10 * 3600):
        assert event_deliveries_retry().parked == 0
    assert picky.taken == []


def parked_delivery(picky: Picky, contact: Contact, schema: Any) -> EventDelivery:
    poison = make_interaction(contact, schema)
    picky.poisoned.add(poison.pk)
    interaction_events_dispatch()
    EventDelivery.objects.update(status="parked", attempts=3, next_attempt_at=None)
    return EventDelivery.objects.get()


def test_a_replay_hands_a_parked_event_over_once_fixed_or_parks_it_again(
    picky: Picky, world: dict[str, Any], alice: Persona, django_capture_on_commit_callbacks: Any
) -> None:
    delivery = parked_delivery(picky, world["ann"], world["a_schema"])
    with django_capture_on_commit_callbacks(execute=True):
        answer = alice.post(f"events/failed/{delivery.pk}/replay", {})
    assert answer.status_code == 200
    assert (answer.json()["status"], answer.json()["attempts"]) == ("retrying", 3)
    # The dispatch asked for after the commit ran (in-process): still poisoned, parked again.
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("parked", 4)

    picky.poisoned.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert alice.post(f"events/failed/{delivery.pk}/replay", {}).status_code == 200
    delivery.refresh_from_db()
    assert delivery.status == "delivered"
    assert picky.taken == [delivery.interaction_id]
    again = alice.post(f"events/failed/{delivery.pk}/replay", {})
    assert again.status_code == 409
    assert again.json()["errorCode"] == "EventDeliveryNotReplayable"


def test_an_event_waiting_behind_another_can_t_be_replayed_alone(
    picky: Picky, world: dict[str, Any], alice: Persona
) -> None:
    first = make_interaction(world["ann"], world["a_schema"])
    picky.poisoned.add(first.pk)
    make_interaction(world["ann"], world["a_schema"])
    interaction_events_dispatch()
    waiting = EventDelivery.objects.get(status="waiting")
    answer = alice.post(f"events/failed/{waiting.pk}/replay", {})
    assert answer.status_code == 409
    assert "waits behind an earlier event" in answer.json()["message"]


def test_the_api_lists_the_tenant_s_failed_deliveries_in_keyset_pages(
    picky: Picky, world: dict[str, Any], alice: Persona, bob: Persona
) -> None:
    ann = world["ann"]
    for _ in range(3):
        picky.poisoned.add(make_interaction(ann, world["a_schema"]).pk)
        interaction_events_dispatch()
        ann = ContactFactory(tenant=world["ann"].tenant)  # three heads, none waiting
    EventDelivery.objects.filter(pk=EventDelivery.objects.order_by("event_id")[0].pk).update(
        status="parked"
    )
    from interactions.api.views import event_deliveries

    original = event_deliveries.PAGE_SIZE
    event_deliveries.PAGE_SIZE = 2
    try:
        first = alice.get("events/failed").json()
        assert len(first["items"]) == 2
        next_href = next(link["href"] for link in first["links"] if link["rel"] == "next")
        second = alice.client.get(next_href).json()
    finally:
        event_deliveries.PAGE_SIZE = original
    items = first["items"] + second["items"]
    assert [item["event"]["id"] for item in items] == sorted(
        EventDelivery.objects.values_list("event_id", flat=True), reverse=True
    )
    item = items[-1]
    assert set(item) == {
        "id", "subscriber", "status", "attempts", "nextAttempt", "lastError", "event",
        "created", "modified",
    }  # fmt: skip
    assert (item["status"], item["subscriber"]) == ("parked", SUBSCRIBER)
    assert set(item["event"]) == {"id", "kind", "source", "interactionId", "contactId", "created"}
    parked = alice.get("events/failed?status=parked").json()["items"]
    assert [i["status"] for i in parked] == ["parked"]
    bad = alice.get("events/failed?status=lost")
    assert bad.status_code == 400
    assert bad.json()["errors"] == [
        {"field": "status", "code": "enum", "message": "must be one of retrying, waiting, parked"}
    ]
    assert bob.get("events/failed").json() == {
        "links": [
            {"rel": "self", "method": "GET", "href": "http://testserver/api/v2/events/failed"}
        ],
        "items": [],
    }


def test_tenant_admins_see_their_failed_deliveries_and_replay_them_in_the_admin(
    picky: Picky, world: dict[str, Any], bob: Persona
) -> None:
    delivery = parked_delivery(picky, world["ann"], world["a_schema"])
    admin = staff_client(world["ann"].tenant, username="ada", role=ADMIN)
    changelist = reverse("admin:interactions_eventdelivery_changelist")
    page = admin.get(changelist)
    assert page.status_code == 200
    text = page.content.decode()
    assert "OverflowError: int too large to convert" in text
    assert str(delivery.event_id) in text and "parked" in text.lower()

    # B's admin sees nothing of A's; a marketer has no such page.
    b_admin = staff_client(bob.tenant, "bea", role=ADMIN)
    assert str(delivery.pk) not in b_admin.get(changelist).content.decode()
    change = reverse("admin:interactions_eventdelivery_change", args=[delivery.pk])
    assert b_admin.get(change).status_code == 404
    marketer = staff_client(world["ann"].tenant, "mia", role=MARKETER)
    assert marketer.get(changelist).status_code == 403

    picky.poisoned.clear()
    answer = admin.post(
        changelist, {"action": "replay", "_selected_action": [str(delivery.pk)]}, follow=True
    )
    assert "will be handed to their subscriber again" in answer.content.decode()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.next_attempt_at is not None) == ("retrying", True)
    assert event_deliveries_retry().delivered == 1
    assert picky.taken == [delivery.interaction_id]


def test_a_subscriber_gone_since_its_failure_is_parked_with_that_reason(
    world: dict[str, Any],
) -> None:
    picky = Picky()
    with extension_registered(Extension(app_label="picky", event_subscribers=(picky,))):
        poison = make_interaction(world["ann"], world["a_schema"])
        picky.poisoned.add(poison.pk)
        interaction_events_dispatch()
    with later(3600):
        event_deliveries_retry()
        event_deliveries_retry()
    with later(3 * 3600):
        event_deliveries_retry()
    delivery = EventDelivery.objects.get()
    assert delivery.status == "parked"
    assert "is no longer registered" in delivery.last_error


def test_delivered_rows_are_kept_a_day(picky: Picky, world: dict[str, Any]) -> None:
    poison = make_interaction(world["ann"], world["a_schema"])
    picky.poisoned.add(poison.pk)
    interaction_events_dispatch()
    picky.poisoned.clear()
    with later(31):
        event_deliveries_retry()
    assert EventDelivery.objects.get().status == "delivered"
    with later(2 * 86400):
        event_deliveries_retry()
    assert not EventDelivery.objects.exists()


def test_erasing_a_contact_erases_its_failed_deliveries(
    picky: Picky, world: dict[str, Any], alice: Persona
) -> None:
    delivery = parked_delivery(picky, world["ann"], world["a_schema"])
    assert alice.delete(f"contacts/{world['ann'].pk}").status_code == 204
    assert not EventDelivery.objects.filter(pk=delivery.pk).exists()

"""One tenant's poison event never holds up the others.

Tenant A's interaction makes a real handler raise: the automations subscriber's insert of the run
hits a database trigger that refuses A's contact (as the 400-digit number once made the trigger
code overflow). Meanwhile tenant B's automation fires and B's segment takes B's contact in, on
time; A's event is retried, parked with its reason, and, once the cause is gone, replayed.

Runs in-process on SQLite, and with a real worker on PostgreSQL + Redis (``background``).
"""

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection

from automations.models import AutomationRun
from interactions.models import Contact, EventDelivery
from interactions.tasks import interaction_events_dispatch_task
from segments.models import Segment, SegmentMembership
from tests.automations.conftest import Receiver, webhook_automation
from tests.conftest import Persona, wait_until
from tests.factories import ContactFactory, make_schema

pytestmark = pytest.mark.django_db(transaction=True)

# A worker process started by the tests reads these from its environment.
for _name, _value in {"EVENT_RETRY_BASE_SECONDS": "0.2", "EVENT_MAX_ATTEMPTS": "3"}.items():
    os.environ.setdefault(_name, _value)

GOOD_REVIEWERS = {
    "type": "count",
    "schemaId": "review",
    "count": {"op": ">=", "value": 1},
    "window": {"type": "lastDays", "days": 30},
    "where": [{"property": "rating", "op": "gte", "value": 4}],
}
AUTOMATIONS_SUBSCRIBER = "automations.services.claims.automations_handle_events"


@pytest.fixture(autouse=True)
def _fast_retries(settings: Any) -> None:
    settings.EVENT_RETRY_BASE_SECONDS = 0.2
    settings.EVENT_MAX_ATTEMPTS = 3


def refuse_runs_for(contact: Contact) -> Callable[[], None]:
    """A trigger that makes every insert of an automation run for ``contact`` fail; returns
    the function that drops it (the fix)."""
    table = AutomationRun._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION poison_guard() RETURNS trigger AS $$ BEGIN "
                f"IF NEW.contact_id = '{contact.pk}' THEN RAISE EXCEPTION 'poisoned contact'; "
                "END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                f"CREATE TRIGGER poison_guard BEFORE INSERT ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION poison_guard()"
            )
        else:
            cursor.execute(
                f"CREATE TRIGGER poison_guard BEFORE INSERT ON {table} "
                f"WHEN NEW.contact_id = '{contact.pk.hex}' "
                "BEGIN SELECT RAISE(ABORT, 'poisoned contact'); END"
            )

    def fix() -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS poison_guard ON {table}")
                cursor.execute("DROP FUNCTION IF EXISTS poison_guard()")
            else:
                cursor.execute("DROP TRIGGER IF EXISTS poison_guard")

    return fix


@pytest.fixture
def poison(alice: Persona) -> Iterator[tuple[Contact, Callable[[], None]]]:
    contact = ContactFactory(tenant=alice.tenant)
    fix = refuse_runs_for(contact)
    yield contact, fix
    fix()


def tenant_with_automation_and_segment(persona: Persona, receiver: Receiver) -> Segment:
    make_schema(persona.tenant)
    webhook_automation(persona.tenant, f"{receiver.url}/ok", receiver)
    created = persona.post("segments", {"name": "Good reviewers", "rule": GOOD_REVIEWERS})
    assert created.status_code == 201
    segment = Segment.objects.get(pk=created.json()["id"])
    wait_until(
        lambda: Segment.objects.filter(pk=segment.pk, last_refreshed_at__isnull=False).exists()
    )
    return segment


def review(persona: Persona, contact: Contact) -> None:
    body = {"contactId": str(contact.pk), "schemaId": "review", "payload": {"rating": 5}}
    assert persona.post("interactions", body).status_code == 200


def is_member(segment: Segment, contact: Contact) -> bool:
    return SegmentMembership.objects.filter(
        segment=segment, contact=contact, exited_at__isnull=True
    ).exists()


def run_succeeded(contact: Contact) -> bool:
    return AutomationRun.objects.filter(
        contact=contact, status=AutomationRun.Status.SUCCEEDED
    ).exists()


@pytest.mark.usefixtures("background")
def test_a_poison_event_of_tenant_a_is_parked_while_tenant_b_goes_on_and_is_replayed_once_fixed(
    alice: Persona,
    bob: Persona,
    receiver: Receiver,
    poison: tuple[Contact, Callable[[], None]],
) -> None:
    poisoned, fix = poison
    a_segment = tenant_with_automation_and_segment(alice, receiver)
    b_segment = tenant_with_automation_and_segment(bob, receiver)
    a_fine = ContactFactory(tenant=alice.tenant)
    b_contact = ContactFactory(tenant=bob.tenant)

    review(alice, poisoned)
    review(alice, a_fine)
    review(bob, b_contact)

    def b_on_time() -> bool:
        """B's automation delivered its webhook and B's segment took B's contact in"""
        return run_succeeded(b_contact) and is_member(b_segment, b_contact)

    wait_until(b_on_time, timeout=15)
    # A's other contact, and the other subscriber of the poison event itself, went on too.
    wait_until(lambda: run_succeeded(a_fine) and is_member(a_segment, poisoned), timeout=15)
    assert not AutomationRun.objects.filter(contact=poisoned).exists()

    def parked() -> bool:
        """A's event was retried with back-off, then parked (the beat's sweep runs the retries)"""
        interaction_events_dispatch_task.delay()
        return EventDelivery.objects.filter(status=EventDelivery.Status.PARKED).exists()

    wait_until(parked, timeout=20, interval=0.3)
    delivery = EventDelivery.objects.get()
    assert (delivery.tenant_id, delivery.contact_id) == (alice.tenant.pk, poisoned.pk)
    assert (delivery.subscriber, delivery.attempts) == (AUTOMATIONS_SUBSCRIBER, 3)
    assert "poisoned contact" in delivery.last_error

    listed = alice.get("events/failed").json()["items"]
    assert [(item["id"], item["status"], item["attempts"]) for item in listed] == [
        (str(delivery.pk), "parked", 3)
    ]
    assert listed[0]["event"]["contactId"] == str(poisoned.pk)
    assert bob.get("events/failed").json()["items"] == []

    fix()
    replayed = alice.post(f"events/failed/{delivery.pk}/replay", {})
    assert replayed.status_code == 200
    assert replayed.json()["status"] == "retrying"  # due now, handed over in the background
    wait_until(lambda: run_succeeded(poisoned), timeout=15)
    assert alice.get("events/failed").json()["items"] == []
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (EventDelivery.Status.DELIVERED, 3)

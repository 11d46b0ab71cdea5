"""The "interaction received" outbox: events commit with their interactions, handed over once."""

import json
from collections.abc import Iterator
from typing import Any

import pytest

from interactions.extensions import Extension, extension_registered, registered_extensions
from interactions.models import InteractionEvent
from interactions.services.events import interaction_events_dispatch
from tests.conftest import Persona
from tests.factories import make_interaction, make_schema


class Recorder:
    """A subscriber that remembers what it was handed, and can be told to fail once."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []
        self.fail_next = False

    def __call__(self, events: Any) -> None:
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("subscriber down")
        self.seen.extend((event.kind, str(event.interaction_id)) for event in events)


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    subscriber = Recorder()
    with extension_registered(Extension(app_label="recorder", event_subscribers=(subscriber,))):
        yield subscriber


def document(contact: Any) -> dict[str, Any]:
    return {"contactId": str(contact.pk), "schemaId": "review", "payload": {"rating": 3}}


def test_without_subscribers_no_event_is_written(
    alice: Persona, contact: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("interactions.extensions._extensions", {})
    assert registered_extensions() == []
    make_interaction(contact, make_schema(alice.tenant))
    assert InteractionEvent.objects.count() == 0


def test_a_received_interaction_is_handed_over_once(
    alice: Persona, contact: Any, recorder: Recorder, django_capture_on_commit_callbacks: Any
) -> None:
    make_schema(alice.tenant)
    with django_capture_on_commit_callbacks() as callbacks:
        response = alice.post("interactions", document(contact))
    interaction_id = response.json()["id"]
    # After the commit a dispatch is enqueued (run here by hand: the test's transaction never
    # commits, so a worker could not see the event).
    assert len(callbacks) == 1
    assert interaction_events_dispatch() == 1
    assert recorder.seen == [("received", interaction_id)]
    assert interaction_events_dispatch() == 0
    assert recorder.seen == [("received", interaction_id)]


def test_an_idempotent_retry_writes_no_second_event(
    alice: Persona, contact: Any, recorder: Recorder
) -> None:
    make_schema(alice.tenant)
    headers = {"Idempotency-Key": "once"}
    first = alice.post("interactions", document(contact), headers=headers)
    again = alice.post("interactions", document(contact), headers=headers)
    assert first.json() == again.json()
    assert InteractionEvent.objects.count() == 1


def test_a_refused_interaction_writes_no_event(
    alice: Persona, contact: Any, recorder: Recorder
) -> None:
    alice.post("interactions", document(contact))  # no such schema
    assert InteractionEvent.objects.count() == 0


def test_deleting_writes_a_deleted_event(alice: Persona, contact: Any, recorder: Recorder) -> None:
    interaction = make_interaction(contact, make_schema(alice.tenant))
    alice.delete(f"interactions/{interaction.pk}")
    interaction_events_dispatch()
    assert recorder.seen == [("received", str(interaction.pk)), ("deleted", str(interaction.pk))]


def test_a_failing_subscriber_gets_the_event_again(
    alice: Persona, contact: Any, recorder: Recorder, settings: Any
) -> None:
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from interactions.models import EventDelivery
    from interactions.services.event_deliveries import event_deliveries_retry

    settings.EVENT_RETRY_BASE_SECONDS = 30
    interaction = make_interaction(contact, make_schema(alice.tenant))
    recorder.fail_next = True
    # The failure no longer rolls the batch back: the event is kept for this subscriber alone.
    assert interaction_events_dispatch() == 1
    assert InteractionEvent.objects.get().dispatched_at is not None
    assert recorder.seen == []
    assert EventDelivery.objects.get().status == "retrying"
    with time_machine.travel(timezone.now() + timedelta(seconds=31), tick=False):
        assert event_deliveries_retry().delivered == 1
    assert recorder.seen == [("received", str(interaction.pk))]


def test_events_keep_their_commit_order_and_say_where_their_interaction_came_from(
    alice: Persona, contact: Any, recorder: Recorder
) -> None:
    from django.utils import timezone

    from interactions.services.interactions import (
        InteractionDraft,
        interaction_check,
        interaction_create,
    )

    make_schema(alice.tenant)
    draft = interaction_check(tenant=alice.tenant, document=document(contact))
    assert isinstance(draft, InteractionDraft)
    imported = interaction_create(
        tenant=alice.tenant,
        draft=draft,
        body=json.dumps(document(contact)).encode(),
        received_at=timezone.now(),
        source=InteractionEvent.Source.IMPORT,
    )
    live = make_interaction(contact, draft.schema)
    events = list(InteractionEvent.objects.order_by("id"))
    assert [(str(e.interaction_id), e.source) for e in events] == [
        (str(imported.pk), "import"),
        (str(live.pk), "api"),
    ]


def test_a_replayed_refused_interaction_says_it_was_replayed(
    alice: Persona, contact: Any, recorder: Recorder, blob_store: Any
) -> None:
    from interactions.models import RefusedInteraction
    from interactions.services.replay import refused_interaction_replay

    refused = alice.post("interactions", document(contact))
    assert refused.status_code == 404  # no such schema yet
    make_schema(alice.tenant)
    replayed = refused_interaction_replay(
        tenant=alice.tenant, refused=RefusedInteraction.objects.get(pk=refused.json()["refusedId"])
    )
    events = list(InteractionEvent.objects.all())
    assert [(str(e.interaction_id), e.source) for e in events] == [(str(replayed.pk), "replay")]


def test_dispatched_events_are_purged_after_a_day(
    alice: Persona, contact: Any, recorder: Recorder
) -> None:
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from interactions.services.retention import retention_purge

    make_interaction(contact, make_schema(alice.tenant))
    interaction_events_dispatch()
    make_interaction(contact, make_schema(alice.tenant, schema_id="other"))  # not dispatched yet
    with time_machine.travel(timezone.now() + timedelta(days=2), tick=False):
        assert retention_purge()["events"] == 1
    assert InteractionEvent.objects.filter(dispatched_at__isnull=True).count() == 1

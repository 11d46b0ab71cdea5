"""POST interactions/batch: each item judged as a single POST, the accepted ones stored together,
one Idempotency-Key for the batch, automations only when asked, and the batch's own limits."""

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from rest_framework.test import APIClient

from automations.models import AutomationRun
from automations.services.automations import automation_create
from interactions.models import (
    ApiKey,
    Interaction,
    InteractionEvent,
    PendingRawCopy,
    RefusedInteraction,
)
from interactions.services import raw_storage
from interactions.services.events import interaction_events_dispatch
from tests.conftest import Persona
from tests.factories import ContactFactory, make_schema

FROZEN = datetime(2025, 3, 1, 12, 0, 0, 250000, tzinfo=UTC)
URL = "/api/v2/interactions/batch"


def post_raw(persona: Persona, body: str | bytes, version: str = "v2", **headers: Any) -> Any:
    """POST ``body`` exactly as given (no re-serialisation), so raw copies can be compared."""
    return persona.client.post(
        f"/api/{version}/interactions/batch",
        body if isinstance(body, bytes) else body.encode(),
        content_type="application/json",
        **headers,
    )


def post_batch(persona: Persona, items: list[Any], **extra: Any) -> Any:
    headers = {key: extra.pop(key) for key in list(extra) if key.startswith("HTTP_")}
    return post_raw(persona, json.dumps({"interactions": items, **extra}), **headers)


def item(contact: Any, schema_id: str = "review", **payload: Any) -> dict[str, Any]:
    return {
        "contactId": str(contact.pk),
        "schemaId": schema_id,
        "payload": payload or {"rating": 4},
    }


def raw_copy(persona: Persona, kind: str, object_id: str) -> bytes:
    return raw_storage.raw_copy_read(
        path=raw_storage.raw_copy_path(tenant_id=persona.tenant.pk, kind=kind, object_id=object_id)
    )


@pytest.fixture
def review(alice: Persona) -> Any:
    return make_schema(alice.tenant)


# --- Items ------------------------------------------------------------------------------------


def test_each_item_is_judged_as_a_single_post_and_answered_in_order(
    alice: Persona, contact: Any, review: Any
) -> None:
    # Spaced and ordered oddly on purpose: each raw copy is the item's text exactly as sent.
    items = [
        f'{{"contactId": "{contact.pk}", "schemaId":"review","payload":{{"rating":5}}}}',
        f'{{ "payload": {{"rating": 2, "colour": "red"}}, "contactId":"{contact.pk}",'
        f'  "schemaId": "review", "createdDate": "2021-01-02T03:04:05Z" }}',
        f'{{"contactId": "{uuid.uuid4()}", "schemaId": "review", "payload": {{"rating": 1}}}}',
        f'{{"contactId": "{contact.pk}", "schemaId": "nothing", "payload": {{"rating": 1}}}}',
        f'{{"contactId": "{contact.pk}", "schemaId": "review", "payload": {{"rating": 9}}}}',
        '"not an object"',
        f'{{"contactId": "{contact.pk}", "schemaId": "review", "payload": {{"rating": 3}},'
        ' "createdDate": "yesterday"}',
    ]
    response = post_raw(alice, '{"interactions": [\n  ' + ",\n  ".join(items) + "\n]}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["accepted"], body["refused"]) == (2, 5)
    results = body["results"]
    assert [r["index"] for r in results] == list(range(7))
    assert [r["status"] for r in results] == [200, 200, 404, 404, 400, 400, 400]
    assert [r.get("errorCode") for r in results] == [
        None,
        None,
        "ContactNotFound",
        "InteractionSchemaNotFound",
        "InvalidInteraction",
        "InvalidInteraction",
        "InvalidInteraction",
    ]
    assert "droppedProperties" not in results[0]
    assert results[1]["droppedProperties"] == [
        {"field": "payload.colour", "code": "unknown", "message": "is not a property of the schema"}
    ]
    assert results[4]["errors"] == [
        {"field": "payload.rating", "code": "maximum", "message": "must be at most 5"}
    ]
    assert results[6]["errors"][0]["field"] == "createdDate"

    stored = {str(i.pk): i for i in Interaction.objects.filter(tenant=alice.tenant)}
    assert set(stored) == {results[0]["id"], results[1]["id"]}
    assert stored[results[1]["id"]].created_date == datetime(2021, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert stored[results[1]["id"]].payload == {"rating": 2}
    refused_ids = [r["refusedId"] for r in results[2:]]
    assert set(refused_ids) == {
        str(pk) for pk in RefusedInteraction.objects.values_list("pk", flat=True)
    }
    # Every item's raw copy is its own text, byte for byte.
    for index in (0, 1):
        copy = raw_copy(alice, raw_storage.INTERACTIONS, results[index]["id"])
        assert copy == items[index].encode()
    for index in range(2, 7):
        copy = raw_copy(alice, raw_storage.REFUSED, results[index]["refusedId"])
        assert copy == items[index].encode()


def test_a_refused_item_reads_as_a_refused_single_post(alice: Persona, review: Any) -> None:
    unknown = str(uuid.uuid4())
    response = post_batch(alice, [{"contactId": unknown, "schemaId": "review", "payload": {}}])
    result = response.json()["results"][0]
    detail = alice.get(f"refusedinteractions/{result['refusedId']}").json()
    assert detail["errorCode"] == "ContactNotFound"
    assert json.loads(detail["raw"]) == {"contactId": unknown, "schemaId": "review", "payload": {}}
    single = alice.post("interactions", {"contactId": unknown, "schemaId": "review", "payload": {}})
    assert single.json()["errors"] == result["errors"]
    assert single.json()["errorCode"] == result["errorCode"]


def test_items_are_looked_up_in_a_fixed_number_of_queries(
    alice: Persona, review: Any, django_assert_max_num_queries: Any
) -> None:
    contacts = ContactFactory.create_batch(30, tenant=alice.tenant)
    items = [item(contact) for contact in contacts] + [item(contacts[0], "nothing")]
    with django_assert_max_num_queries(20):
        response = post_batch(alice, items)
    assert response.json()["accepted"] == 30


def test_an_empty_batch_stores_nothing(alice: Persona) -> None:
    response = post_raw(alice, '{"interactions": []}')
    assert response.status_code == 200
    assert response.json() == {"accepted": 0, "refused": 0, "results": []}


def test_the_same_routes_under_v3(alice: Persona, contact: Any, review: Any) -> None:
    response = post_raw(alice, json.dumps({"interactions": [item(contact)]}), version="v3")
    assert response.status_code == 200
    assert response.json()["accepted"] == 1


# --- Tenants ----------------------------------------------------------------------------------


def test_another_tenants_contact_is_a_404_item_like_a_contact_nobody_has(
    alice: Persona, bob: Persona, review: Any
) -> None:
    make_schema(bob.tenant)
    bobs = ContactFactory(tenant=bob.tenant)
    response = post_batch(alice, [item(bobs), item(ContactFactory.build(id=uuid.uuid4()))])
    first, second = response.json()["results"]
    assert first["status"] == second["status"] == 404
    assert {k: v for k, v in first.items() if k not in ("index", "refusedId")} == {
        k: v for k, v in second.items() if k not in ("index", "refusedId")
    }
    assert not Interaction.objects.exists()
    assert not RefusedInteraction.objects.filter(tenant=bob.tenant).exists()


# --- One key, one transaction -------------------------------------------------------------------


def test_an_idempotency_key_covers_the_whole_batch(
    alice: Persona, contact: Any, review: Any
) -> None:
    items = [item(contact), item(contact, "nothing")]
    first = post_batch(alice, items, HTTP_IDEMPOTENCY_KEY="batch-1")
    again = post_batch(alice, items, HTTP_IDEMPOTENCY_KEY="batch-1")
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert Interaction.objects.count() == 1
    assert RefusedInteraction.objects.count() == 1
    other = post_batch(alice, [item(contact)], HTTP_IDEMPOTENCY_KEY="batch-1")
    assert other.status_code == 422
    assert Interaction.objects.count() == 1


def test_a_failed_batch_stores_nothing(
    alice: Persona, contact: Any, review: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(**kwargs: Any) -> None:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(raw_storage, "raw_copies_stage", fail)
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_APIKEY=alice.key)
    response = client.post(
        URL, {"interactions": [item(contact), item(contact, "nothing")]}, format="json"
    )
    assert response.status_code == 500
    assert not Interaction.objects.exists()
    assert not RefusedInteraction.objects.exists()
    assert not PendingRawCopy.objects.exists()


# --- Events and automations ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fire", "source", "runs"), [(None, "api", 1), (True, "api", 1), (False, "import", 0)]
)
def test_fire_automations_false_skips_automations_but_not_events(
    alice: Persona, contact: Any, review: Any, fire: bool | None, source: str, runs: int
) -> None:
    automation_create(
        tenant=alice.tenant,
        name="Welcome",
        trigger="new_interaction",
        actions=[{"type": "tag", "name": "welcomed"}],
    )
    extra = {} if fire is None else {"fireAutomations": fire}
    assert post_batch(alice, [item(contact)], **extra).status_code == 200
    assert list(InteractionEvent.objects.values_list("source", flat=True)) == [source]
    interaction_events_dispatch()
    assert AutomationRun.objects.count() == runs


# --- Limits -----------------------------------------------------------------------------------


def test_at_most_the_configured_number_of_items(
    alice: Persona, contact: Any, review: Any, settings: Any
) -> None:
    settings.API_BATCH_MAX_ITEMS = 1000
    assert post_batch(alice, [item(contact)] * 1000).json()["accepted"] == 1000
    response = post_batch(alice, [item(contact)] * 1001)
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "interactions", "code": "limit", "message": "must hold at most 1000 interactions"}
    ]
    assert Interaction.objects.count() == 1000


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ("[]", [("body", "type")]),
        ("{}", [("interactions", "required")]),
        ('{"interactions": {}}', [("interactions", "type")]),
        ('{"interactions": [{}], "fireAutomations": "no"}', [("fireAutomations", "type")]),
        ('{"interactions": [{}], "fireAutomation": false}', [("fireAutomation", "unknown")]),
    ],
)
def test_a_body_that_is_not_a_batch_is_refused_whole(
    alice: Persona, body: str, errors: list[tuple[str, str]]
) -> None:
    response = post_raw(alice, body)
    assert response.status_code == 400
    assert response.json()["errorCode"] == "InvalidRequest"
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == errors
    assert not RefusedInteraction.objects.exists()


def test_the_batch_has_its_own_body_limit_and_each_item_the_single_posts(
    alice: Persona, contact: Any, review: Any, settings: Any
) -> None:
    settings.API_MAX_BODY_BYTES = 1024
    settings.API_BATCH_MAX_BODY_BYTES = 8192
    items = [item(contact, rating=4, title="x" * 10)] * 20  # ~2.5 KB, over the single POST's limit
    response = post_batch(alice, items)
    assert response.status_code == 200
    assert response.json()["accepted"] == 20

    big = item(contact, rating=3, productSku="s" * 1100)
    result = post_batch(alice, [big]).json()["results"][0]
    assert result["status"] == 413
    assert result["errorCode"] == "PayloadTooLarge"
    assert "refusedId" not in result

    response = post_batch(alice, [item(contact, rating=4, title="x" * 10)] * 70)  # ~9 KB
    assert response.status_code == 413
    assert response.json()["errorCode"] == "PayloadTooLarge"
    assert response.json()["message"] == "The request body must be at most 8192 bytes."
    # Other routes keep the single limit.
    contact_body = {"email": "a@example.com", "firstName": "x" * 1100}
    assert alice.post("contacts", contact_body).status_code == 413


def test_a_batch_is_one_request_and_its_items_count_against_the_item_rate(
    alice: Persona, contact: Any, review: Any, settings: Any
) -> None:
    settings.API_ITEM_RATE_LIMIT_PER_SECOND = 5
    ApiKey.objects.filter(tenant=alice.tenant).update(rate_limit_per_second=3)
    with time_machine.travel(FROZEN, tick=False) as traveller:
        assert post_batch(alice, [item(contact)] * 3).status_code == 200
        response = post_batch(alice, [item(contact)] * 3)
        assert response.status_code == 429
        assert response["Retry-After"] == "1"
        assert response.json()["errorCode"] == "TooManyRequests"
        assert "at most 5 a second" in response.json()["message"]
        # The refused batch took no room: two more items still fit in this second...
        assert post_batch(alice, [item(contact)] * 2).status_code == 200
        # ...and each batch was one request of the key's three.
        assert alice.get("ping").status_code == 429
        traveller.shift(1)
        assert post_batch(alice, [item(contact)] * 5).status_code == 200
    assert Interaction.objects.count() == 10


def test_a_key_without_a_request_limit_has_no_item_limit(
    alice: Persona, contact: Any, review: Any, settings: Any
) -> None:
    settings.API_ITEM_RATE_LIMIT_PER_SECOND = 5
    ApiKey.objects.filter(tenant=alice.tenant).update(rate_limit_per_second=0)
    with time_machine.travel(FROZEN, tick=False):
        assert post_batch(alice, [item(contact)] * 10).status_code == 200

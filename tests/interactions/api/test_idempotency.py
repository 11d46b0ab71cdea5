"""Idempotency-Key on POST: a retry replays the first answer and stores nothing twice."""

import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from interactions.models import Contact, IdempotencyRecord, Interaction, InteractionSchema
from interactions.services.idempotency import idempotency_claim, request_fingerprint
from interactions.services.retention import retention_purge
from tests.conftest import Persona
from tests.factories import REVIEW_JSON_SCHEMA, ContactFactory, make_schema

KEY_REUSED = {
    "statusCode": 422,
    "errorCode": "IdempotencyKeyReused",
    "message": "This Idempotency-Key was already used with another request.",
}
KEY_IN_FLIGHT = {
    "statusCode": 409,
    "errorCode": "IdempotencyKeyInFlight",
    "message": "A request with this Idempotency-Key is still being processed; retry later.",
}


@pytest.fixture
def review(alice: Persona) -> InteractionSchema:
    return make_schema(alice.tenant)


def interaction_document(contact: Any, rating: int = 4) -> dict[str, Any]:
    return {
        "contactId": str(contact.pk),
        "schemaId": "review",
        "createdDate": "2024-06-01T12:00:00Z",
        "payload": {"rating": rating, "title": "Nice"},
    }


def post(persona: Persona, path: str, document: Any, key: str | None) -> Any:
    headers = {"Idempotency-Key": key} if key is not None else {}
    return persona.post(path, document, headers=headers)


def post_raw(persona: Persona, path: str, body: str, key: str) -> Any:
    return persona.client.post(
        persona.url(path), body, content_type="application/json", headers={"Idempotency-Key": key}
    )


def test_a_retry_with_the_same_key_and_body_replays_the_answer_and_stores_one_interaction(
    alice: Persona, contact: Any, review: InteractionSchema
) -> None:
    first = post(alice, "interactions", interaction_document(contact), "order-1")
    retry = post(alice, "interactions", interaction_document(contact), "order-1")

    assert first.status_code == 200
    assert (retry.status_code, retry.json()) == (200, first.json())
    assert list(Interaction.objects.values_list("id", flat=True)) == [uuid.UUID(first.json()["id"])]


def test_without_a_key_a_retry_stores_a_second_interaction(
    alice: Persona, contact: Any, review: InteractionSchema
) -> None:
    first = post(alice, "interactions", interaction_document(contact), None)
    second = post(alice, "interactions", interaction_document(contact), None)
    assert first.json()["id"] != second.json()["id"]
    assert Interaction.objects.count() == 2


def test_a_retry_of_a_schema_post_replays_instead_of_already_exists(alice: Persona) -> None:
    document = {"id": "review", "displayName": "Wrote a review", "jsonSchema": REVIEW_JSON_SCHEMA}
    first = post(alice, "interactionschemas", document, "schema-1")
    retry = post(alice, "interactionschemas", document, "schema-1")

    assert first.status_code == 200
    assert (retry.status_code, retry.json()) == (200, first.json())
    assert InteractionSchema.objects.filter(tenant=alice.tenant).count() == 1
    # Without the key it is a new request, which the rules refuse.
    assert post(alice, "interactionschemas", document, None).status_code == 409


def test_a_retry_of_a_contact_post_replays_its_201_and_creates_one_contact(alice: Persona) -> None:
    document = {"email": "ann@example.com", "firstName": "Ann", "loyaltyLevel": "gold"}
    first = post(alice, "contacts", document, "contact-1")
    retry = post(alice, "contacts", document, "contact-1")

    assert first.status_code == 201
    assert (retry.status_code, retry.json()) == (201, first.json())
    assert list(Contact.objects.filter(tenant=alice.tenant).values_list("email", flat=True)) == [
        "ann@example.com"
    ]


def test_a_quoted_key_is_the_same_key(
    alice: Persona, contact: Any, review: InteractionSchema
) -> None:
    first = post(alice, "interactions", interaction_document(contact), "abc")
    retry = post(alice, "interactions", interaction_document(contact), '"abc"')
    again = post(alice, "interactions", interaction_document(contact, rating=1), '"abc"')

    assert (retry.status_code, retry.json()) == (200, first.json())
    assert (again.status_code, again.json()) == (422, KEY_REUSED)
    assert Interaction.objects.count() == 1


def test_the_same_key_with_another_body_is_422(
    alice: Persona, contact: Any, review: InteractionSchema
) -> None:
    assert post(alice, "interactions", interaction_document(contact), "k").status_code == 200
    response = post(alice, "interactions", interaction_document(contact, rating=5), "k")

    assert response.status_code == 422
    assert response.json() == KEY_REUSED
    assert Interaction.objects.count() == 1


def test_the_same_key_on_another_endpoint_is_422(
    alice: Persona, contact: Any, review: InteractionSchema
) -> None:
    assert post(alice, "interactions", interaction_document(contact), "k").status_code == 200
    response = post(alice, "contacts", {"email": "ann@example.com"}, "k")

    assert (response.status_code, response.json()) == (422, KEY_REUSED)
    assert Contact.objects.filter(tenant=alice.tenant).count() == 1


def test_bodies_are_compared_as_canonical_json(
    alice: Persona, contact: Any, review: InteractionSchema
) -> None:
    document = interaction_document(contact)
    compact = json.dumps(document, separators=(",", ":"))
    reordered = json.dumps(
        {"payload": {"title": "Nice", "rating": 4}, **dict(reversed(list(document.items())))},
        indent=4,
    )
    assert compact != reordered

    first = post_raw(alice, "interactions", compact, "canon")
    retry = post_raw(alice, "interactions", reordered, "canon")

    assert first.status_code == 200
    assert (retry.status_code, retry.json()) == (200, first.json())
    assert Interaction.objects.count() == 1


def test_a_key_longer_than_255_characters_is_refused(
    alice: Persona, contact: Any, review: InteractionSchema
) -> None:
    response = post(alice, "interactions", interaction_document(contact), "k" * 256)
    assert response.status_code == 400
    assert response.json() == {
        "statusCode": 400,
        "errorCode": "InvalidRequest",
        "message": "The request is not valid.",
        "errors": [
            {
                "field": "Idempotency-Key",
                "code": "limit",
                "message": "must be at most 255 characters",
            }
        ],
    }
    assert Interaction.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_20_concurrent_requests_with_one_key_store_exactly_one_interaction(
    alice: Persona, contact: Any, review: InteractionSchema
) -> None:
    document = interaction_document(contact)
    start = threading.Barrier(20)

    def send(_: int) -> tuple[int, Any, str | None]:
        try:
            client = APIClient()
            client.credentials(HTTP_APIKEY=alice.key)
            start.wait(timeout=10)
            response = client.post(
                "/api/v2/interactions",
                document,
                format="json",
                headers={"Idempotency-Key": "burst"},
            )
            return response.status_code, response.json(), response.headers.get("Retry-After")
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(send, range(20)))

    successes = [body for status, body, _ in results if status == 200]
    others = [(status, body, retry_after) for status, body, retry_after in results if status != 200]
    assert successes, results
    assert all(body == successes[0] for body in successes)
    assert all(other == (409, KEY_IN_FLIGHT, "1") for other in others), others
    assert list(Interaction.objects.values_list("id", flat=True)) == [uuid.UUID(successes[0]["id"])]
    assert IdempotencyRecord.objects.get().state == IdempotencyRecord.State.COMPLETED


def test_two_tenants_may_use_the_same_key_independently(
    alice: Persona, bob: Persona, contact: Any, review: InteractionSchema
) -> None:
    schema_document = {"id": "visit", "displayName": "Visited", "jsonSchema": REVIEW_JSON_SCHEMA}
    alices_schema = post(alice, "interactionschemas", schema_document, "shared")
    bobs_schema = post(bob, "interactionschemas", schema_document, "shared")
    assert (alices_schema.status_code, bobs_schema.status_code) == (200, 200)
    assert InteractionSchema.objects.filter(schema_id="visit").count() == 2

    make_schema(bob.tenant)
    bobs_contact = ContactFactory(tenant=bob.tenant)
    alices = post(alice, "interactions", interaction_document(contact), "same")
    bobs = post(bob, "interactions", interaction_document(bobs_contact), "same")

    assert (alices.status_code, bobs.status_code) == (200, 200)
    assert alices.json()["id"] != bobs.json()["id"]
    assert Interaction.objects.filter(tenant=alice.tenant).count() == 1
    assert Interaction.objects.filter(tenant=bob.tenant).count() == 1


def test_a_refused_request_is_not_stored_so_the_client_can_fix_it_and_retry(
    alice: Persona, contact: Any, review: InteractionSchema
) -> None:
    broken = {**interaction_document(contact), "payload": {"title": "No rating"}}
    refused = post(alice, "interactions", broken, "fix-me")
    assert refused.status_code == 400
    assert refused.json()["errorCode"] == "InvalidInteraction"

    # The same broken body again is checked again (a new refusal), not replayed.
    refused_again = post(alice, "interactions", broken, "fix-me")
    assert refused_again.status_code == 400
    assert refused_again.json()["refusedId"] != refused.json()["refusedId"]

    fixed = post(alice, "interactions", interaction_document(contact), "fix-me")
    assert fixed.status_code == 200
    assert Interaction.objects.count() == 1
    retry = post(alice, "interactions", interaction_document(contact), "fix-me")
    assert (retry.status_code, retry.json()) == (200, fixed.json())


def test_a_request_refused_for_an_unknown_schema_can_be_retried_once_the_schema_exists(
    alice: Persona, contact: Any
) -> None:
    document = interaction_document(contact)
    refused = post(alice, "interactions", document, "early")
    assert (refused.status_code, refused.json()["errorCode"]) == (404, "InteractionSchemaNotFound")

    make_schema(alice.tenant)
    assert post(alice, "interactions", document, "early").status_code == 200
    assert Interaction.objects.count() == 1


def crashed_claim(persona: Persona, document: dict[str, Any], key: str) -> Any:
    """The claim a request leaves behind when its process dies before it answers."""
    fingerprint = request_fingerprint(
        method="POST", route="interaction-collection", document=document
    )
    return idempotency_claim(tenant=persona.tenant, key=key, fingerprint=fingerprint)


def test_a_claim_within_its_lease_is_in_flight(
    alice: Persona, contact: Any, review: InteractionSchema
) -> None:
    document = interaction_document(contact)
    crashed_claim(alice, document, "crash")

    response = post(alice, "interactions", document, "crash")

    assert (response.status_code, response.json()) == (409, KEY_IN_FLIGHT)
    assert response.headers["Retry-After"] == "1"
    assert Interaction.objects.count() == 0


def test_a_claim_whose_lease_expired_is_taken_over_by_a_retry(
    alice: Persona, contact: Any, review: InteractionSchema, settings: Any
) -> None:
    document = interaction_document(contact)
    crashed_claim(alice, document, "crash")

    later = timezone.now() + timedelta(seconds=settings.IDEMPOTENCY_LEASE_SECONDS + 1)
    with time_machine.travel(later, tick=False):
        response = post(alice, "interactions", document, "crash")
        replay = post(alice, "interactions", document, "crash")

    assert response.status_code == 200
    assert (replay.status_code, replay.json()) == (200, response.json())
    assert Interaction.objects.count() == 1


def test_a_claim_whose_lease_expired_still_refuses_another_body(
    alice: Persona, contact: Any, review: InteractionSchema, settings: Any
) -> None:
    crashed_claim(alice, interaction_document(contact), "crash")

    later = timezone.now() + timedelta(seconds=settings.IDEMPOTENCY_LEASE_SECONDS + 1)
    with time_machine.travel(later, tick=False):
        response = post(alice, "interactions", interaction_document(contact, rating=1), "crash")

    assert (response.status_code, response.json()) == (422, KEY_REUSED)
    assert Interaction.objects.count() == 0


def test_a_key_is_kept_24_hours_then_free_even_for_another_body(
    alice: Persona, contact: Any, review: InteractionSchema, settings: Any
) -> None:
    settings.IDEMPOTENCY_TTL_HOURS = 24  # the contract's default, whatever the environment says
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        first = post(alice, "interactions", interaction_document(contact), "daily")
    assert first.status_code == 200

    ttl = timedelta(hours=24)
    with time_machine.travel(now + ttl - timedelta(minutes=1), tick=False):
        reused = post(alice, "interactions", interaction_document(contact, rating=1), "daily")
    assert (reused.status_code, reused.json()) == (422, KEY_REUSED)

    with time_machine.travel(now + ttl + timedelta(seconds=1), tick=False):
        fresh = post(alice, "interactions", interaction_document(contact, rating=1), "daily")
        replay = post(alice, "interactions", interaction_document(contact, rating=1), "daily")
    assert fresh.status_code == 200
    assert fresh.json()["id"] != first.json()["id"]
    assert (replay.status_code, replay.json()) == (200, fresh.json())
    assert Interaction.objects.count() == 2


def test_the_retention_job_deletes_expired_idempotency_records_and_keeps_fresh_ones(
    alice: Persona, contact: Any, review: InteractionSchema, settings: Any
) -> None:
    now = timezone.now()
    ttl = timedelta(hours=settings.IDEMPOTENCY_TTL_HOURS)
    with time_machine.travel(now - ttl - timedelta(minutes=1), tick=False):
        assert post(alice, "interactions", interaction_document(contact), "old").status_code == 200
    with time_machine.travel(now - ttl + timedelta(minutes=1), tick=False):
        assert (
            post(alice, "interactions", interaction_document(contact), "young").status_code == 200
        )
    with time_machine.travel(now, tick=False):
        fresh = post(alice, "interactions", interaction_document(contact), "fresh")

        purged = retention_purge()

        assert purged["idempotency"] == 1
        assert sorted(IdempotencyRecord.objects.values_list("key", flat=True)) == [
            "fresh",
            "young",
        ]
        replay = post(alice, "interactions", interaction_document(contact), "fresh")
    assert (replay.status_code, replay.json()) == (200, fresh.json())
    assert Interaction.objects.count() == 3


def test_a_request_that_outlived_its_lease_cannot_complete_once_a_retry_took_over(
    alice: Persona, settings: Any
) -> None:
    from django.db import transaction

    from interactions.exceptions import IdempotencyKeyInFlight
    from interactions.services.idempotency import idempotency_complete

    slow = idempotency_claim(tenant=alice.tenant, key="slow", fingerprint="f")
    later = timezone.now() + timedelta(seconds=settings.IDEMPOTENCY_LEASE_SECONDS + 1)
    with time_machine.travel(later, tick=False):
        retry = idempotency_claim(tenant=alice.tenant, key="slow", fingerprint="f")
        assert isinstance(retry, IdempotencyRecord)
        with pytest.raises(IdempotencyKeyInFlight), transaction.atomic():
            idempotency_complete(record=slow, status=200, body={"who": "slow"})
        idempotency_complete(record=retry, status=200, body={"who": "retry"})

    stored = IdempotencyRecord.objects.get(tenant=alice.tenant, key="slow")
    assert (stored.state, stored.response_body) == ("completed", {"who": "retry"})

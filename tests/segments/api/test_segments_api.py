"""The segments API: CRUD, members with links/continuation paging, counts, draft counts, and
Idempotency-Key on create."""

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from interactions.models import IdempotencyRecord, InteractionSchema
from segments.models import Segment
from segments.services.membership import segment_refresh
from tests.conftest import Persona
from tests.factories import ContactFactory, make_interaction

RULE = {
    "type": "count",
    "schemaId": "review",
    "count": {"op": ">=", "value": 1},
    "window": {"type": "lastDays", "days": 30},
    "where": [{"property": "rating", "op": "gte", "value": 4}],
}


KEY_REUSED = {
    "statusCode": 422,
    "errorCode": "IdempotencyKeyReused",
    "message": "This Idempotency-Key was already used with another request.",
}


def document(**changes: Any) -> dict[str, Any]:
    return {"name": "Happy reviewers", "description": "4+ stars", "rule": RULE, **changes}


def keyed(persona: Persona, path: str, body: Any, key: str) -> Any:
    return persona.post(path, body, headers={"Idempotency-Key": key})


@pytest.fixture
def reviewers(alice: Persona, schemas: dict[str, InteractionSchema], frozen: datetime) -> list[Any]:
    contacts = [ContactFactory(tenant=alice.tenant) for _ in range(3)]
    for contact in contacts[:2]:
        make_interaction(contact, schemas["review"], {"rating": 5}, created_date=frozen)
    make_interaction(contacts[2], schemas["review"], {"rating": 2}, created_date=frozen)
    return contacts


@pytest.mark.usefixtures("reviewers")
def test_a_segment_is_created_read_listed_updated_and_deleted(
    alice: Persona, frozen: datetime, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        created = alice.post("segments", document())
    assert created.status_code == 201
    body = created.json()
    segment_id = body.pop("id")
    assert body == {
        "name": "Happy reviewers",
        "description": "4+ stars",
        "rule": RULE,
        "isActive": True,
        "problem": "",
        "refreshMinutes": 60,
        "memberCount": 0,
        "lastRefreshed": None,
        "refreshFailure": None,
        "created": "2026-06-15T12:00:00Z",
        "modified": "2026-06-15T12:00:00Z",
    }
    # The refresh enqueued after the commit has run (eagerly, without Redis).
    fetched = alice.get(f"segments/{segment_id}").json()
    assert (fetched["memberCount"], fetched["lastRefreshed"]) == (2, "2026-06-15T12:00:00Z")
    assert [s["id"] for s in alice.get("segments").json()] == [segment_id]
    assert alice.get(f"segments/{segment_id}/count").json() == {
        "count": 2,
        "lastRefreshed": "2026-06-15T12:00:00Z",
    }

    wider = {**RULE, "where": [{"property": "rating", "op": "gte", "value": 1}]}
    with django_capture_on_commit_callbacks(execute=True):
        updated = alice.client.put(
            alice.url(f"segments/{segment_id}"),
            document(name="Reviewers", rule=wider, refreshMinutes=15),
            format="json",
        )
    assert updated.status_code == 200
    assert (updated.json()["name"], updated.json()["refreshMinutes"]) == ("Reviewers", 15)
    assert alice.get(f"segments/{segment_id}/count").json()["count"] == 3

    assert alice.delete(f"segments/{segment_id}").status_code == 204
    assert alice.get(f"segments/{segment_id}").json() == {
        "statusCode": 404,
        "errorCode": "SegmentNotFound",
        "message": "No segment has this id.",
    }
    assert not Segment.objects.exists()


@pytest.mark.usefixtures("schemas")
def test_a_non_segmentable_property_is_refused_with_the_whole_error_body(alice: Persona) -> None:
    rule = {**RULE, "where": [{"property": "title", "op": "eq", "value": "x"}]}
    response = alice.post("segments", document(rule=rule))
    assert response.status_code == 400
    assert response.json() == {
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


@pytest.mark.usefixtures("schemas")
def test_missing_fields_and_bad_bodies_are_invalid_requests(alice: Persona) -> None:
    response = alice.post("segments", {"rule": RULE})
    assert response.json() == {
        "statusCode": 400,
        "errorCode": "InvalidRequest",
        "message": "The request is not valid.",
        "errors": [{"field": "name", "code": "required", "message": "This field is required."}],
    }
    as_text = alice.client.post(alice.url("segments"), "x", content_type="text/plain")
    assert as_text.status_code == 415
    assert alice.get("segments/not-a-uuid").json()["errorCode"] == "SegmentNotFound"


@pytest.mark.usefixtures("reviewers")
def test_the_count_of_a_draft_rule_is_computed_without_saving(alice: Persona) -> None:
    response = alice.post("segments/count", {"rule": RULE})
    assert response.status_code == 200
    assert response.json() == {"count": 2}
    never = {"type": "never", "schemaId": "review"}
    assert alice.post("segments/count", {"rule": never}).json() == {"count": 0}
    assert not Segment.objects.exists()
    bad = alice.post("segments/count", {"rule": {"type": "never", "schemaId": "nope"}})
    assert bad.status_code == 400
    assert bad.json()["errors"] == [
        {"field": "rule.schemaId", "code": "invalid", "message": "no interaction schema 'nope'"}
    ]


@pytest.mark.usefixtures("schemas")
def test_a_retry_of_a_segment_post_with_the_same_key_replays_its_201_and_creates_one_segment(
    alice: Persona, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as first_callbacks:
        first = keyed(alice, "segments", document(), "segment-1")
    with django_capture_on_commit_callbacks() as retry_callbacks:
        retry = keyed(alice, "segments", document(), "segment-1")

    assert first.status_code == 201
    assert (retry.status_code, retry.json()) == (201, first.json())
    assert [str(pk) for pk in Segment.objects.values_list("id", flat=True)] == [first.json()["id"]]
    # Only the first request enqueued a refresh: the replay ran nothing.
    assert (len(first_callbacks), len(retry_callbacks)) == (1, 0)


@pytest.mark.usefixtures("schemas")
def test_the_same_key_with_another_segment_body_is_422(alice: Persona) -> None:
    assert keyed(alice, "segments", document(), "segment-1").status_code == 201
    response = keyed(alice, "segments", document(name="Unhappy reviewers"), "segment-1")

    assert response.status_code == 422
    assert response.json() == KEY_REUSED
    assert list(Segment.objects.values_list("name", flat=True)) == ["Happy reviewers"]


@pytest.mark.usefixtures("schemas")
def test_a_refused_segment_post_gives_its_key_back_so_the_fixed_request_can_use_it(
    alice: Persona,
) -> None:
    # Refused by the body's shape, before the key is claimed...
    unnamed = keyed(alice, "segments", {"rule": RULE}, "fix-me")
    assert (unnamed.status_code, unnamed.json()["errorCode"]) == (400, "InvalidRequest")
    # ...and by the rule, once the key is claimed: the refusal releases it.
    rule = {**RULE, "where": [{"property": "title", "op": "eq", "value": "x"}]}
    unsegmentable = keyed(alice, "segments", document(rule=rule), "fix-me")
    assert (unsegmentable.status_code, unsegmentable.json()["errorCode"]) == (400, "InvalidSegment")
    assert not IdempotencyRecord.objects.exists()

    fixed = keyed(alice, "segments", document(), "fix-me")
    retry = keyed(alice, "segments", document(), "fix-me")

    assert fixed.status_code == 201
    assert (retry.status_code, retry.json()) == (201, fixed.json())
    assert Segment.objects.count() == 1


@pytest.mark.usefixtures("reviewers")
def test_the_count_of_a_draft_rule_is_a_read_and_ignores_an_idempotency_key(alice: Persona) -> None:
    never = {"type": "never", "schemaId": "review"}
    first = keyed(alice, "segments/count", {"rule": RULE}, "count")
    other = keyed(alice, "segments/count", {"rule": never}, "count")

    assert (first.status_code, first.json()) == (200, {"count": 2})
    assert (other.status_code, other.json()) == (200, {"count": 0})
    assert not IdempotencyRecord.objects.exists()


def test_members_are_paged_with_links_and_a_continuation(
    alice: Persona, schemas: dict[str, InteractionSchema], frozen: datetime
) -> None:
    contacts = [ContactFactory(tenant=alice.tenant) for _ in range(55)]
    for contact in contacts:
        make_interaction(contact, schemas["review"], {"rating": 5}, created_date=frozen)
    segment = Segment.objects.create(tenant=alice.tenant, name="All", rule=RULE)
    segment_refresh(segment=segment)
    with CaptureQueriesContext(connection) as queries:
        first = alice.get(f"segments/{segment.pk}/members").json()
    assert len(queries) <= 6  # key, key touch, segment, page (+ savepoints): not per member
    assert len(first["items"]) == 50
    assert first["items"][0] == {
        "contactId": first["items"][0]["contactId"],
        "enteredAt": "2026-06-15T12:00:00Z",
    }
    assert [link["rel"] for link in first["links"]] == ["self", "next"]
    next_href = first["links"][1]["href"]
    assert next_href.startswith(
        f"http://testserver/api/v2/segments/{segment.pk}/members?continuation="
    )
    second = alice.client.get(next_href).json()
    assert len(second["items"]) == 5
    assert [link["rel"] for link in second["links"]] == ["self"]
    seen = [item["contactId"] for item in first["items"] + second["items"]]
    assert sorted(seen) == sorted(str(contact.pk) for contact in contacts)

    tampered = alice.get(f"segments/{segment.pk}/members?continuation=abc")
    assert tampered.status_code == 400
    assert tampered.json()["errorCode"] == "InvalidContinuation"


def test_members_entering_later_come_first(
    alice: Persona, schemas: dict[str, InteractionSchema], time_machine: Any
) -> None:
    from tests.segments.conftest import NOW

    time_machine.move_to(NOW, tick=False)
    early, late = ContactFactory(tenant=alice.tenant), ContactFactory(tenant=alice.tenant)
    make_interaction(early, schemas["review"], {"rating": 5})
    segment = Segment.objects.create(tenant=alice.tenant, name="All", rule=RULE)
    segment_refresh(segment=segment)
    time_machine.move_to(NOW + timedelta(hours=1), tick=False)
    make_interaction(late, schemas["review"], {"rating": 5})
    segment_refresh(segment=segment)
    items = alice.get(f"segments/{segment.pk}/members").json()["items"]
    assert [item["contactId"] for item in items] == [str(late.pk), str(early.pk)]


def test_the_openapi_document_describes_the_segment_routes_as_tenant_scoped_extensions(
    alice: Persona,
) -> None:
    schema = alice.client.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v2/segments"]["post"]
    assert operation["tags"] == ["extension"]
    assert operation["security"]
    rule = schema["components"]["schemas"]["SegmentWriteInputRequest"]["properties"]["rule"]
    assert "Segment rule" in rule["description"]
    assert "/api/v2/segments/{segment_id}/members" in schema["paths"]

"""The automations extension of the API: CRUD, runs with keyset pages, errors in the one shape,
Idempotency-Key on create."""

from typing import Any

import pytest

from automations.models import Automation, AutomationRun
from interactions.models import IdempotencyRecord
from interactions.services.events import interaction_events_dispatch
from tests.automations.conftest import purchase_schema
from tests.conftest import Persona
from tests.factories import ContactFactory, make_interaction

WEBHOOK = [{"type": "webhook", "url": "https://hooks.example.com/in"}]
KEY_REUSED = {
    "statusCode": 422,
    "errorCode": "IdempotencyKeyReused",
    "message": "This Idempotency-Key was already used with another request.",
}


def specific_body(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "Big buys",
        "trigger": "specific_interaction",
        "schemaId": "purchase",
        "property": "amount",
        "operator": "gte",
        "value": 100,
        "entryRule": "every_n_days",
        "entryPeriodDays": 30,
        "actions": WEBHOOK,
        **overrides,
    }


def problem(field: str, code: str, message: str) -> dict[str, str]:
    return {"field": field, "code": code, "message": message}


def keyed(persona: Persona, body: Any, key: str) -> Any:
    return persona.post("automations", body, headers={"Idempotency-Key": key})


@pytest.fixture
def purchase(alice: Persona) -> Any:
    return purchase_schema(alice.tenant)


def test_it_creates_reads_lists_replaces_and_deletes_an_automation(
    alice: Persona, purchase: Any
) -> None:
    created = alice.post("automations", specific_body())
    assert created.status_code == 201, created.json()
    body = created.json()
    automation_id = body["id"]
    assert body.pop("signingSecret").startswith("whsec_")  # shown this once: not on reads
    assert {k: v for k, v in body.items() if k not in ("id", "created", "updated")} == {
        "name": "Big buys",
        "active": True,
        "trigger": "specific_interaction",
        "schemaIds": [],
        "schemaId": "purchase",
        "property": "amount",
        "operator": "gte",
        "value": 100,
        "entryRule": "every_n_days",
        "entryPeriodDays": 30,
        "actions": WEBHOOK,
        "flaggedReason": "",
    }
    assert alice.get(f"automations/{automation_id}").json() == body
    assert [a["id"] for a in alice.get("automations").json()] == [automation_id]

    replaced = alice.client.put(
        f"/api/v2/automations/{automation_id}",
        {"name": "Any purchase", "trigger": "new_interaction", "schemaIds": ["purchase"],
         "actions": WEBHOOK, "active": False},
        format="json",
    )  # fmt: skip
    assert replaced.status_code == 200, replaced.json()
    assert replaced.json()["schemaIds"] == ["purchase"]
    assert replaced.json()["schemaId"] is None and replaced.json()["entryRule"] == "once"
    assert replaced.json()["active"] is False

    assert alice.delete(f"automations/{automation_id}").status_code == 204
    assert alice.get(f"automations/{automation_id}").json() == {
        "statusCode": 404,
        "errorCode": "AutomationNotFound",
        "message": "No automation has this id.",
    }


def test_it_refuses_an_invalid_automation_naming_each_field(alice: Persona, purchase: Any) -> None:
    refused = alice.post(
        "automations",
        specific_body(
            property="nope",
            entryPeriodDays=None,
            actions=[{"type": "webhook", "url": "ftp://x"}, {"type": "sms"}],
        ),
    )
    assert refused.status_code == 400
    assert refused.json() == {
        "statusCode": 400,
        "errorCode": "InvalidRequest",
        "message": "The automation is not valid.",
        "errors": [
            problem("property", "invalid", "must be a property of the schema purchase"),
            problem("entryPeriodDays", "minimum", "must be from 1 to 3650 days"),
            problem("actions.0.url", "invalid", "must be an http or https URL"),
            problem("actions.1.type", "enum", "must be one of webhook, email, tag"),
        ],
    }


def test_it_refuses_an_unknown_schema(alice: Persona) -> None:
    refused = alice.post("automations", specific_body(schemaId="ghost"))
    assert refused.status_code == 400
    assert refused.json()["errors"] == [
        {"field": "schemaId", "code": "invalid", "message": "names no interaction schema (ghost)"}
    ]


def test_a_retry_with_the_same_key_replays_the_201_and_creates_one_automation(
    alice: Persona, purchase: Any
) -> None:
    first = keyed(alice, specific_body(), "automation-1")
    retry = keyed(alice, specific_body(), "automation-1")

    assert first.status_code == 201
    assert (retry.status_code, retry.json()) == (201, first.json())
    ids = Automation.objects.values_list("public_id", flat=True)
    assert [str(public_id) for public_id in ids] == [first.json()["id"]]


def test_the_same_key_with_another_body_is_422(alice: Persona, purchase: Any) -> None:
    assert keyed(alice, specific_body(), "automation-1").status_code == 201
    response = keyed(alice, specific_body(value=500), "automation-1")

    assert response.status_code == 422
    assert response.json() == KEY_REUSED
    assert list(Automation.objects.values_list("condition_value", flat=True)) == [100]


def test_a_refused_post_gives_its_key_back_so_the_fixed_request_can_use_it(
    alice: Persona, purchase: Any
) -> None:
    # Refused for an unknown schema, before the key is claimed...
    unknown = keyed(alice, specific_body(schemaId="ghost"), "fix-me")
    assert (unknown.status_code, unknown.json()["errorCode"]) == (400, "InvalidRequest")
    # ...and by the service, once the key is claimed: the refusal releases it.
    invalid = keyed(alice, specific_body(property="nope"), "fix-me")
    assert invalid.status_code == 400
    assert invalid.json()["errors"] == [
        problem("property", "invalid", "must be a property of the schema purchase")
    ]
    assert not IdempotencyRecord.objects.exists()

    fixed = keyed(alice, specific_body(), "fix-me")
    retry = keyed(alice, specific_body(), "fix-me")

    assert fixed.status_code == 201
    assert (retry.status_code, retry.json()) == (201, fixed.json())
    assert Automation.objects.count() == 1


def test_it_lists_runs_newest_first_in_keyset_pages(alice: Persona, purchase: Any) -> None:
    created = alice.post(
        "automations",
        {"name": "All", "trigger": "new_interaction", "entryRule": "every_time",
         "actions": WEBHOOK},
    ).json()  # fmt: skip
    contact = ContactFactory(tenant=alice.tenant)
    for _ in range(51):
        make_interaction(contact, purchase, payload={"store": "x"})
    interaction_events_dispatch()
    assert AutomationRun.objects.count() == 51

    first = alice.get(f"automations/{created['id']}/runs").json()
    assert len(first["items"]) == 50
    assert first["items"][0]["contactId"] == str(contact.pk)
    assert first["items"][0]["status"] == "pending" and first["items"][0]["attempts"] == []
    next_href = next(link["href"] for link in first["links"] if link["rel"] == "next")
    second = alice.client.get(next_href).json()
    assert len(second["items"]) == 1
    assert [link["rel"] for link in second["links"]] == ["self"]
    seen = {item["id"] for item in first["items"] + second["items"]}
    assert seen == {str(pk) for pk in AutomationRun.objects.values_list("pk", flat=True)}
    run_id = second["items"][0]["id"]
    assert alice.get(f"automations/{created['id']}/runs/{run_id}").json() == second["items"][0]
    tampered = alice.get(f"automations/{created['id']}/runs?continuation=abc")
    assert tampered.status_code == 400 and tampered.json()["errorCode"] == "InvalidContinuation"


def test_the_routes_are_in_the_openapi_document_as_extensions(client: Any) -> None:
    document = client.get("/api/schema/?format=json").json()
    operations = {
        (path, method): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if path.startswith("/api/v2/automations")
    }
    assert set(operations) == {
        ("/api/v2/automations", "get"),
        ("/api/v2/automations", "post"),
        ("/api/v2/automations/{automation_id}", "get"),
        ("/api/v2/automations/{automation_id}", "put"),
        ("/api/v2/automations/{automation_id}", "delete"),
        ("/api/v2/automations/{automation_id}/runs", "get"),
        ("/api/v2/automations/{automation_id}/runs/{run_id}", "get"),
        ("/api/v2/automations/{automation_id}/secret/rotate", "post"),
    }
    assert all(operation["tags"] == ["extension"] for operation in operations.values())

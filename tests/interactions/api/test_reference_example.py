"""The example schema and interaction of the Engage documentation behave as documented."""

from typing import Any

from interactions.models import Interaction, RefusedInteraction
from interactions.services.raw_storage import raw_copy_path, raw_copy_read
from interactions.services.sample_data import REUSE_SCHEMA
from tests.conftest import Persona

# The interaction exactly as the documentation prints it, typo in createdDate included.
DOCUMENTED_INTERACTION: dict[str, Any] = {
    "contactId": "cf6d21fa-6e2b-481c-ab38-afa1012233ff",
    "schemaId": "Reuse-Spring-2023",
    "createdDate": "2023-05-23711:13:42.074Z",
    "payload": {"price": 100, "created": "2011-11-03T20:00:11", "name": "Reused Item"},
}


def post_schema(persona: Persona) -> Any:
    return persona.post("interactionschemas", REUSE_SCHEMA)


def test_the_documented_schema_is_accepted_and_returned_exactly_as_posted(alice: Persona) -> None:
    created = post_schema(alice)
    assert created.status_code == 200
    assert created.json() == {
        "id": "Reuse-Spring-2023",
        "self": {
            "href": "http://testserver/api/v2/interactionschemas/Reuse-Spring-2023",
            "created": created.json()["self"]["created"],
        },
    }
    fetched = alice.get("interactionschemas/Reuse-Spring-2023")
    assert fetched.status_code == 200
    assert fetched.json() == REUSE_SCHEMA  # display keywords stay the strings "true"
    assert list(fetched.json()["jsonSchema"]["properties"]) == ["price", "created", "name"]
    assert alice.get("interactionschemas").json() == [
        {"id": "Reuse-Spring-2023", "displayName": "Reuse Spring Sale"}
    ]


def test_the_documented_interaction_is_refused_for_its_unparseable_created_date(
    alice: Persona, contact: Any
) -> None:
    post_schema(alice)
    document = {**DOCUMENTED_INTERACTION, "contactId": str(contact.pk)}
    response = alice.post("interactions", document)
    assert response.status_code == 400
    refused_id = response.json()["refusedId"]
    assert response.json() == {
        "statusCode": 400,
        "errorCode": "InvalidInteraction",
        "message": "The interaction breaks the rules of its schema.",
        "errors": [
            {
                "field": "createdDate",
                "code": "format",
                "message": (
                    "must be an RFC 3339 date-time with an offset, like 2023-05-23T11:13:42.074Z"
                ),
            }
        ],
        "refusedId": refused_id,
    }
    assert Interaction.objects.count() == 0
    refused = alice.get(f"refusedinteractions/{refused_id}").json()
    assert refused["errorCode"] == "InvalidInteraction"
    assert refused["raw"] == response.wsgi_request.body.decode()
    assert RefusedInteraction.objects.get().contact_id == contact.pk


def test_with_a_valid_created_date_the_mismatching_property_is_dropped_but_kept_raw(
    alice: Persona, contact: Any
) -> None:
    post_schema(alice)
    document = {
        **DOCUMENTED_INTERACTION,
        "contactId": str(contact.pk),
        "createdDate": "2023-05-23T11:13:42.074Z",
    }
    response = alice.post("interactions?include=droppedProperties", document)
    assert response.status_code == 200
    assert response["Engage-Dropped-Properties"] == "payload.created"
    body = response.json()
    interaction_id = body["id"]
    assert body == {
        "id": interaction_id,
        "self": {
            "contactId": str(contact.pk),
            "href": f"http://testserver/api/v2/interactions/{interaction_id}",
            "created": body["self"]["created"],
        },
        "droppedProperties": [
            {
                "field": "payload.created",
                "code": "format",
                "message": (
                    "must be an RFC 3339 date-time with an offset, like 2018-11-13T20:20:39+00:00"
                ),
            }
        ],
    }
    stored = alice.get(f"interactions/{interaction_id}").json()
    assert stored == {
        "id": interaction_id,
        "contactId": str(contact.pk),
        "schemaId": "Reuse-Spring-2023",
        "createdDate": "2023-05-23T11:13:42.074000Z",
        "payload": {"price": 100, "name": "Reused Item"},
    }
    raw = alice.client.get(f"/api/v2/interactions/{interaction_id}/raw")
    assert raw.status_code == 200
    assert raw["Content-Type"] == "application/json"
    assert raw.content == response.wsgi_request.body
    path = raw_copy_path(tenant_id=alice.tenant.pk, kind="interactions", object_id=interaction_id)
    assert b'"created":"2011-11-03T20:00:11"' in raw_copy_read(path=path)


def test_without_created_date_it_is_the_time_received(alice: Persona, contact: Any) -> None:
    post_schema(alice)
    document = {**DOCUMENTED_INTERACTION, "contactId": str(contact.pk)}
    del document["createdDate"]
    body = alice.post("interactions", document).json()
    stored = alice.get(f"interactions/{body['id']}").json()
    assert stored["createdDate"] == body["self"]["created"]


def test_a_payload_without_the_required_name_is_refused(alice: Persona, contact: Any) -> None:
    post_schema(alice)
    document = {
        "contactId": str(contact.pk),
        "schemaId": "Reuse-Spring-2023",
        "payload": {"price": "a lot"},
    }
    response = alice.post("interactions", document)
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "payload.name", "code": "required", "message": "is required"}
    ]
    assert Interaction.objects.count() == 0

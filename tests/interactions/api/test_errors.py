"""Every error of the core API has the one documented body, ranks as the contract says, and is never
a 500: unreadable JSON included. Refused interactions are kept with their exact body."""

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from rest_framework.test import APIClient

from interactions.models import ApiKey, Contact, IdempotencyRecord, Interaction, RefusedInteraction
from interactions.services.idempotency import idempotency_claim, request_fingerprint
from tests.conftest import Persona
from tests.factories import ContactFactory, make_interaction, make_schema

FROZEN = datetime(2025, 3, 1, 12, 0, 0, 500000, tzinfo=UTC)

UNAUTHORIZED = {
    "statusCode": 401,
    "errorCode": "Unauthorized",
    "message": "A valid API key is required.",
}
UNKNOWN_KEY = {
    "statusCode": 401,
    "errorCode": "Unauthorized",
    "message": "The API key is unknown or revoked.",
}
UNSUPPORTED_MEDIA_TYPE = {
    "statusCode": 415,
    "errorCode": "UnsupportedMediaType",
    "message": "The request body must be JSON (Content-Type: application/json).",
}
CONTACT_NOT_FOUND = {
    "statusCode": 404,
    "errorCode": "ContactNotFound",
    "message": "No contact has this id.",
}
SCHEMA_NOT_FOUND = {
    "statusCode": 404,
    "errorCode": "InteractionSchemaNotFound",
    "message": "No interaction schema has this id.",
}
INTERACTION_NOT_FOUND = {
    "statusCode": 404,
    "errorCode": "InteractionNotFound",
    "message": "No interaction has this id.",
}
INVALID_INTERACTION_MESSAGE = "The interaction breaks the rules of its schema."

MINIMAL_JSON_SCHEMA = {"type": "object", "properties": {"note": {"type": "string"}}}
NOT_JSON = "The request body is not valid JSON: "
BAD_CREATED_DATE = "must be an RFC 3339 date-time with an offset, like 2023-05-23T11:13:42.074Z"
BODY_ENDPOINTS = ["interactions", "interactionschemas", "contacts"]


def post_raw(
    persona: Persona, path: str, body: bytes, content_type: str = "application/json", **extra: Any
) -> Any:
    """POST ``body`` byte for byte."""
    return persona.client.post(persona.url(path), data=body, content_type=content_type, **extra)


def interaction_document(contact: Any, **changes: Any) -> dict[str, Any]:
    document = {"contactId": str(contact.pk), "schemaId": "review", "payload": {"rating": 4}}
    document.update(changes)
    return document


def nothing_was_kept() -> bool:
    return not Interaction.objects.exists() and not RefusedInteraction.objects.exists()


@pytest.fixture
def review(alice: Persona) -> Any:
    return make_schema(alice.tenant)


# --- Every errorCode ------------------------------------------------------------------------------


def test_a_request_without_a_key_is_unauthorized() -> None:
    response = APIClient().get("/api/v2/interactionschemas")
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_a_request_with_an_unknown_key_is_unauthorized(db: None) -> None:
    client = APIClient()
    response = client.get("/api/v2/interactionschemas", HTTP_APIKEY="ek_AbCdEfGh." + "x" * 43)
    assert response.status_code == 401
    assert response.json() == UNKNOWN_KEY


def test_a_body_that_is_not_json_is_an_unsupported_media_type(alice: Persona) -> None:
    response = post_raw(alice, "interactions", b"hello", content_type="text/plain")
    assert response.status_code == 415
    assert response.json() == UNSUPPORTED_MEDIA_TYPE


def test_a_body_over_the_limit_is_too_large(alice: Persona, settings: Any) -> None:
    settings.API_MAX_BODY_BYTES = 1024
    response = post_raw(alice, "interactions", json.dumps({"pad": "x" * 1024}).encode())
    assert response.status_code == 413
    assert response.json() == {
        "statusCode": 413,
        "errorCode": "PayloadTooLarge",
        "message": "The request body must be at most 1024 bytes.",
    }


def test_an_unparseable_body_is_invalid_json(alice: Persona) -> None:
    response = post_raw(alice, "interactions", b'{"contactId": ')
    assert response.status_code == 400
    assert response.json() == {
        "statusCode": 400,
        "errorCode": "InvalidJson",
        "message": NOT_JSON + "Expecting value: line 1 column 15 (char 14).",
    }


def test_an_unknown_contact_id_is_contact_not_found(alice: Persona) -> None:
    response = alice.get(f"contacts/{uuid.uuid4()}")
    assert response.status_code == 404
    assert response.json() == CONTACT_NOT_FOUND


def test_another_tenants_contact_is_contact_not_found(alice: Persona, bob: Persona) -> None:
    bobs_contact = ContactFactory(tenant=bob.tenant)
    response = alice.get(f"contacts/{bobs_contact.pk}")
    assert response.status_code == 404
    assert response.json() == CONTACT_NOT_FOUND


def test_a_lookup_that_matches_no_contact_is_contact_not_found(alice: Persona) -> None:
    response = alice.get("contacts/id?email=nobody@example.com")
    assert response.status_code == 404
    assert response.json() == {
        "statusCode": 404,
        "errorCode": "ContactNotFound",
        "message": "No contact matches.",
    }


def test_a_lookup_by_an_email_two_contacts_share_is_multiple_matches(
    alice: Persona, bob: Persona
) -> None:
    first = ContactFactory(tenant=alice.tenant, email="same@example.com")
    second = ContactFactory(tenant=alice.tenant, email="Same@Example.com")
    ContactFactory(tenant=alice.tenant, email="other@example.com")
    ContactFactory(tenant=bob.tenant, email="same@example.com")
    response = alice.get("contacts/id?email=same@example.com")
    assert response.status_code == 409
    body = response.json()
    assert sorted(body["multipleMatchesFound"]) == sorted([str(first.pk), str(second.pk)])
    assert body == {
        "statusCode": 409,
        "errorCode": "MultipleMatches",
        "message": "More than one contact matches.",
        "multipleMatchesFound": body["multipleMatchesFound"],
    }


def test_an_unknown_schema_is_interaction_schema_not_found(alice: Persona, bob: Persona) -> None:
    make_schema(bob.tenant)
    assert alice.get("interactionschemas/review").json() == SCHEMA_NOT_FOUND
    response = alice.delete("interactionschemas/review")
    assert response.status_code == 404
    assert response.json() == SCHEMA_NOT_FOUND


def test_a_second_schema_with_the_same_id_already_exists(alice: Persona, review: Any) -> None:
    document = {"id": "review", "displayName": "Again", "jsonSchema": MINIMAL_JSON_SCHEMA}
    response = alice.post("interactionschemas", document)
    assert response.status_code == 409
    assert response.json() == {
        "statusCode": 409,
        "errorCode": "InteractionSchemaAlreadyExists",
        "message": "An interaction schema with this id already exists.",
        "errors": [{"field": "id", "code": "invalid", "message": "is already used"}],
    }


def test_a_schema_with_a_reference_is_an_invalid_interaction_schema(alice: Persona) -> None:
    document = {
        "id": "priced",
        "displayName": "Priced",
        "jsonSchema": {
            "type": "object",
            "properties": {"price": {"$ref": "#/$defs/price"}},
            "$defs": {"price": {"type": "integer"}},
        },
    }
    response = alice.post("interactionschemas", document)
    assert response.status_code == 400
    assert response.json() == {
        "statusCode": 400,
        "errorCode": "InvalidInteractionSchema",
        "message": "The interaction schema is not valid.",
        "errors": [
            {
                "field": "jsonSchema.$defs",
                "code": "unknown",
                "message": "is not an allowed keyword at the top of a schema",
            },
            {
                "field": "jsonSchema.properties.price.$ref",
                "code": "unknown",
                "message": "is not an allowed keyword for a property",
            },
            {
                "field": "jsonSchema.properties.price.type",
                "code": "required",
                "message": "is required",
            },
        ],
    }


def test_the_sixteenth_schema_exceeds_the_limit(alice: Persona) -> None:
    for number in range(15):
        make_schema(alice.tenant, schema_id=f"schema-{number}")
    document = {"id": "one-too-many", "displayName": "Too many", "jsonSchema": MINIMAL_JSON_SCHEMA}
    response = alice.post("interactionschemas", document)
    assert response.status_code == 400
    assert response.json() == {
        "statusCode": 400,
        "errorCode": "InteractionSchemaLimitExceeded",
        "message": "A tenant may have at most 15 interaction schemas.",
        "errors": [{"field": "id", "code": "limit", "message": "at most 15 schemas per tenant"}],
    }


def test_seven_properties_for_segmentation_exceed_the_limit(alice: Persona) -> None:
    properties = {f"p{n}": {"type": "integer", "addToSegmentation": True} for n in range(7)}
    document = {
        "id": "wide",
        "displayName": "Wide",
        "jsonSchema": {"type": "object", "properties": properties},
    }
    response = alice.post("interactionschemas", document)
    assert response.status_code == 400
    assert response.json() == {
        "statusCode": 400,
        "errorCode": "InteractionSchemaLimitExceeded",
        "message": "The interaction schema goes beyond a limit.",
        "errors": [
            {
                "field": "jsonSchema.properties",
                "code": "limit",
                "message": "at most 6 properties may have addToSegmentation true, not 7",
            }
        ],
    }


def test_an_unknown_interaction_is_interaction_not_found(alice: Persona) -> None:
    unknown = uuid.uuid4()
    assert alice.get(f"interactions/{unknown}").json() == INTERACTION_NOT_FOUND
    assert alice.get(f"interactions?interactionId={unknown}").json() == INTERACTION_NOT_FOUND
    assert alice.get(f"interactions/{unknown}/raw").json() == INTERACTION_NOT_FOUND
    response = alice.delete(f"interactions/{unknown}")
    assert response.status_code == 404
    assert response.json() == INTERACTION_NOT_FOUND


def test_another_tenants_interaction_is_interaction_not_found(alice: Persona, bob: Persona) -> None:
    interaction = make_interaction(ContactFactory(tenant=bob.tenant), make_schema(bob.tenant))
    response = alice.get(f"interactions/{interaction.pk}")
    assert response.status_code == 404
    assert response.json() == INTERACTION_NOT_FOUND


def test_an_interaction_that_breaks_its_schema_is_invalid(
    alice: Persona, contact: Any, review: Any
) -> None:
    document = interaction_document(contact, payload={"title": "Nice"}, createdDate="yesterday")
    response = alice.post("interactions", document)
    assert response.status_code == 400
    body = response.json()
    assert body == {
        "statusCode": 400,
        "errorCode": "InvalidInteraction",
        "message": INVALID_INTERACTION_MESSAGE,
        "errors": [
            {"field": "createdDate", "code": "format", "message": BAD_CREATED_DATE},
            {"field": "payload.rating", "code": "required", "message": "is required"},
        ],
        "refusedId": body["refusedId"],
    }
    assert RefusedInteraction.objects.filter(pk=body["refusedId"]).exists()


def test_a_tampered_continuation_is_invalid(alice: Persona, contact: Any, review: Any) -> None:
    response = alice.get(f"interactions?contactId={contact.pk}&schemaId=review&continuation=abc")
    assert response.status_code == 400
    assert response.json() == {
        "statusCode": 400,
        "errorCode": "InvalidContinuation",
        "message": "The continuation token is not valid for this listing.",
        "errors": [
            {
                "field": "continuation",
                "code": "invalid",
                "message": "is not a continuation of this listing",
            }
        ],
    }


def test_an_idempotency_key_reused_with_another_body_is_refused(
    alice: Persona, contact: Any, review: Any
) -> None:
    first = alice.post("interactions", interaction_document(contact), HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 200
    other = interaction_document(contact, payload={"rating": 5})
    response = alice.post("interactions", other, HTTP_IDEMPOTENCY_KEY="k-1")
    assert response.status_code == 422
    assert response.json() == {
        "statusCode": 422,
        "errorCode": "IdempotencyKeyReused",
        "message": "This Idempotency-Key was already used with another request.",
    }
    assert Interaction.objects.count() == 1


def test_an_idempotency_key_still_in_flight_is_a_conflict(
    alice: Persona, contact: Any, review: Any
) -> None:
    document = interaction_document(contact)
    fingerprint = request_fingerprint(
        method="POST", route="interaction-collection", document=document
    )
    claimed = idempotency_claim(tenant=alice.tenant, key="k-1", fingerprint=fingerprint)
    assert isinstance(claimed, IdempotencyRecord)
    response = alice.post("interactions", document, HTTP_IDEMPOTENCY_KEY="k-1")
    assert response.status_code == 409
    assert response["Retry-After"] == "1"
    assert response.json() == {
        "statusCode": 409,
        "errorCode": "IdempotencyKeyInFlight",
        "message": "A request with this Idempotency-Key is still being processed; retry later.",
    }
    assert nothing_was_kept()
    assert IdempotencyRecord.objects.get().state == IdempotencyRecord.State.IN_FLIGHT


def test_a_key_over_its_rate_is_told_to_slow_down(alice: Persona) -> None:
    ApiKey.objects.filter(tenant=alice.tenant).update(rate_limit_per_second=1)
    with time_machine.travel(FROZEN, tick=False):
        assert alice.get("ping").status_code == 200
        response = alice.get("ping")
    assert response.status_code == 429
    assert response["Retry-After"] == "1"
    assert response.json() == {
        "statusCode": 429,
        "errorCode": "TooManyRequests",
        "message": "Too many requests for this API key; retry after the time in Retry-After.",
    }


def test_a_method_a_route_does_not_have_is_not_allowed(alice: Persona) -> None:
    response = alice.client.put("/api/v2/interactions", data=b"{}", content_type="application/json")
    assert response.status_code == 405
    assert response["Allow"] == "GET, POST, DELETE, HEAD, OPTIONS"
    assert response.json() == {
        "statusCode": 405,
        "errorCode": "MethodNotAllowed",
        "message": "This method is not allowed here.",
    }


@pytest.mark.parametrize(
    ("method", "path", "field", "message"),
    [
        ("get", "interactions/not-a-uuid", "interactionId", "interactionId must be a UUID."),
        ("get", "interactions/not-a-uuid/raw", "interactionId", "interactionId must be a UUID."),
        ("delete", "interactions/not-a-uuid", "interactionId", "interactionId must be a UUID."),
        ("get", "interactions?interactionId=12", "interactionId", "interactionId must be a UUID."),
        ("get", "contacts/not-a-uuid", "contactId", "contactId must be a UUID."),
        ("delete", "contacts/not-a-uuid", "contactId", "contactId must be a UUID."),
        ("get", "refusedinteractions/not-a-uuid", "refusedId", "refusedId must be a UUID."),
        (
            "get",
            "interactions?contactId=nope&schemaId=review",
            "contactId",
            "contactId must be a UUID.",
        ),
    ],
)
def test_a_malformed_uuid_is_an_invalid_request(
    alice: Persona, method: str, path: str, field: str, message: str
) -> None:
    response = getattr(alice, method)(path)
    assert response.status_code == 400
    assert response.json() == {
        "statusCode": 400,
        "errorCode": "InvalidRequest",
        "message": message,
        "errors": [{"field": field, "code": "invalid", "message": "must be a UUID"}],
    }


@pytest.mark.parametrize(
    ("method", "path", "field"),
    [
        ("get", "interactions", "contactId"),
        ("get", f"interactions?contactId={uuid.uuid4()}", "schemaId"),
        ("get", "interactions?schemaId=review", "contactId"),
        ("delete", "interactions", "interactionId"),
        ("delete", "interactionschemas", "interactionSchemaId"),
        ("delete", "interactionschemas?interactionSchemaId=", "interactionSchemaId"),
    ],
)
def test_a_missing_query_parameter_is_an_invalid_request(
    alice: Persona, method: str, path: str, field: str
) -> None:
    response = getattr(alice, method)(path)
    assert response.status_code == 400
    assert response.json() == {
        "statusCode": 400,
        "errorCode": "InvalidRequest",
        "message": f"The query parameter {field} is required.",
        "errors": [{"field": field, "code": "required", "message": "is required"}],
    }


def test_a_contact_lookup_without_a_criterion_is_an_invalid_request(alice: Persona) -> None:
    response = alice.get("contacts/id")
    assert response.status_code == 400
    assert response.json() == {
        "statusCode": 400,
        "errorCode": "InvalidRequest",
        "message": "Give exactly one of email, mobilePhone, externalId.",
        "errors": [
            {
                "field": "email",
                "code": "required",
                "message": "give exactly one of email, mobilePhone, externalId",
            }
        ],
    }


@pytest.mark.parametrize("version", ["v2", "v3"])
@pytest.mark.parametrize("path", ["nothing-here", "interactions/a/b/c", "interactionschemas/"])
def test_an_unknown_route_under_the_api_is_a_json_not_found(
    alice: Persona, version: str, path: str
) -> None:
    response = alice.client.get(f"/api/{version}/{path}")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "statusCode": 404,
        "errorCode": "NotFound",
        "message": "There is nothing at this address.",
    }


def test_an_unknown_refused_interaction_is_not_found(alice: Persona) -> None:
    response = alice.get(f"refusedinteractions/{uuid.uuid4()}")
    assert response.status_code == 404
    assert response.json() == {
        "statusCode": 404,
        "errorCode": "RefusedInteractionNotFound",
        "message": "No refused interaction has this id.",
    }


def test_another_tenants_refused_interaction_is_not_found(
    alice: Persona, bob: Persona, contact: Any, review: Any
) -> None:
    refused_id = alice.post("interactions", interaction_document(contact, payload={})).json()[
        "refusedId"
    ]
    response = bob.get(f"refusedinteractions/{refused_id}")
    assert response.status_code == 404
    assert response.json() == {
        "statusCode": 404,
        "errorCode": "RefusedInteractionNotFound",
        "message": "No refused interaction has this id.",
    }


def test_errors_have_the_same_body_under_v3(alice: Persona) -> None:
    response = alice.client.get(f"/api/v3/interactions/{uuid.uuid4()}")
    assert response.status_code == 404
    assert response.json() == INTERACTION_NOT_FOUND


# --- Precedence: 401, 415, 413, 400 unparseable, 404 contact, 404 schema, 400 rules ---------------


def test_a_missing_key_wins_over_an_unsupported_media_type() -> None:
    response = APIClient().post("/api/v2/interactions", data=b"hello", content_type="text/plain")
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_an_unknown_key_wins_over_an_unsupported_media_type(db: None) -> None:
    response = APIClient().post(
        "/api/v2/interactions",
        data=b"hello",
        content_type="text/plain",
        HTTP_APIKEY="ek_AbCdEfGh." + "x" * 43,
    )
    assert response.status_code == 401
    assert response.json() == UNKNOWN_KEY


def test_an_unsupported_media_type_wins_over_a_body_too_large(
    alice: Persona, settings: Any
) -> None:
    settings.API_MAX_BODY_BYTES = 1024
    response = post_raw(alice, "interactions", b"x" * 2048, content_type="text/plain")
    assert response.status_code == 415
    assert response.json() == UNSUPPORTED_MEDIA_TYPE


def test_a_body_too_large_wins_over_unparseable_json(alice: Persona, settings: Any) -> None:
    settings.API_MAX_BODY_BYTES = 1024
    response = post_raw(alice, "interactions", b"{" * 2048)
    assert response.status_code == 413
    assert response.json() == {
        "statusCode": 413,
        "errorCode": "PayloadTooLarge",
        "message": "The request body must be at most 1024 bytes.",
    }


def test_unparseable_json_wins_over_an_unknown_contact(alice: Persona, review: Any) -> None:
    body = (
        b'{"contactId": "%s", "schemaId": "review", "payload": {"rating": NaN}}'
        % str(uuid.uuid4()).encode()
    )
    response = post_raw(alice, "interactions", body)
    assert response.status_code == 400
    assert response.json() == {
        "statusCode": 400,
        "errorCode": "InvalidJson",
        "message": "The request body is not valid JSON: NaN is not a JSON value.",
    }
    assert nothing_was_kept()


def test_an_unknown_contact_wins_over_an_unknown_schema(alice: Persona) -> None:
    document = {"contactId": str(uuid.uuid4()), "schemaId": "nope", "payload": {}}
    response = alice.post("interactions", document)
    assert response.status_code == 404
    body = response.json()
    assert body == {
        **CONTACT_NOT_FOUND,
        "errors": [{"field": "contactId", "code": "invalid", "message": "no contact has this id"}],
        "refusedId": body["refusedId"],
    }


def test_an_unknown_schema_wins_over_rule_violations(alice: Persona, contact: Any) -> None:
    document = interaction_document(contact, schemaId="nope", createdDate="yesterday")
    del document["payload"]
    response = alice.post("interactions", document)
    assert response.status_code == 404
    body = response.json()
    assert body == {
        **SCHEMA_NOT_FOUND,
        "errors": [
            {"field": "schemaId", "code": "invalid", "message": "no interaction schema has this id"}
        ],
        "refusedId": body["refusedId"],
    }


# --- JSON oddities: 400 InvalidJson, never 500 ---------------------------------------------------

JSON_ODDITIES = {
    "nan": (b'{"a": NaN}', NOT_JSON + "NaN is not a JSON value."),
    "infinity": (b'{"a": Infinity}', NOT_JSON + "Infinity is not a JSON value."),
    "minus-infinity": (b'{"a": -Infinity}', NOT_JSON + "-Infinity is not a JSON value."),
    "overflowing-number": (b'{"a": 1e999}', NOT_JSON + "the number 1e999 is out of range."),
    "duplicate-keys": (
        b'{"a": 1, "a": 2}',
        NOT_JSON + "the key 'a' appears twice in one object.",
    ),
    "deep-arrays": (b"[" * 5000 + b"]" * 5000, "The request body is nested too deeply."),
    "deep-objects": (
        b'{"a":' * 5000 + b"1" + b"}" * 5000,
        "The request body is nested too deeply.",
    ),
    "invalid-utf8": (b'{"a": "caf\xe9"}', "The request body is not UTF-8 text."),
    "huge-integer": (
        b'{"a": ' + b"9" * 5000 + b"}",
        NOT_JSON + "a number has 5000 digits, more than 1000.",
    ),
    "empty": (b"", "The request body is empty; it must be a JSON document."),
    "blank": (b" \r\n\t", "The request body is empty; it must be a JSON document."),
}


@pytest.mark.parametrize("endpoint", BODY_ENDPOINTS)
@pytest.mark.parametrize(("body", "message"), list(JSON_ODDITIES.values()), ids=list(JSON_ODDITIES))
def test_a_json_oddity_is_invalid_json(
    alice: Persona, endpoint: str, body: bytes, message: str
) -> None:
    response = post_raw(alice, endpoint, body)
    assert response.status_code == 400
    assert response.json() == {"statusCode": 400, "errorCode": "InvalidJson", "message": message}
    assert nothing_was_kept()
    assert not Contact.objects.exists()


def test_a_bare_string_is_parseable_and_refused_as_an_invalid_interaction(alice: Persona) -> None:
    response = post_raw(alice, "interactions", b'"hello"')
    assert response.status_code == 400
    body = response.json()
    assert body == {
        "statusCode": 400,
        "errorCode": "InvalidInteraction",
        "message": INVALID_INTERACTION_MESSAGE,
        "errors": [{"field": "body", "code": "type", "message": "must be a JSON object"}],
        "refusedId": body["refusedId"],
    }
    assert alice.get(f"refusedinteractions/{body['refusedId']}").json()["raw"] == '"hello"'


@pytest.mark.parametrize("endpoint", ["interactionschemas", "contacts"])
def test_a_bare_string_is_an_invalid_request_elsewhere(alice: Persona, endpoint: str) -> None:
    response = post_raw(alice, endpoint, b'"hello"')
    assert response.status_code == 400
    assert response.json() == {
        "statusCode": 400,
        "errorCode": "InvalidRequest",
        "message": "The request is not valid.",
        "errors": [{"field": "body", "code": "type", "message": "must be a JSON object"}],
    }


ACCEPTABLE_BODIES = {
    "interactions": '{"contactId": "CONTACT", "schemaId": "review", '
    '"payload": {"rating": 4, "title": TEXT}}',
    "interactionschemas": '{"id": "odd", "displayName": "Odd", "jsonSchema": {"type": "object", '
    '"properties": {"a": {"type": "string", "description": TEXT}}}}',
    "contacts": '{"email": "odd@example.com", "note": TEXT}',
}


def _document_with(endpoint: str, contact: Any, value: str) -> bytes:
    """A body for ``endpoint`` that would be accepted, with the JSON text ``value`` in a free-text
    place."""
    template = ACCEPTABLE_BODIES[endpoint].replace("CONTACT", str(contact.pk))
    return template.replace("TEXT", value).encode()


@pytest.mark.parametrize("endpoint", BODY_ENDPOINTS)
@pytest.mark.parametrize(
    "text", ["a\\u0000b", "\\ud800", "\\udc00x"], ids=["nul", "lone-high-surrogate", "lone-low"]
)
def test_a_string_no_database_can_store_is_invalid_json(
    alice: Persona, contact: Any, review: Any, endpoint: str, text: str
) -> None:
    """PostgreSQL refuses NUL in text and jsonb, and an unpaired surrogate is not Unicode (I-JSON,
    RFC 7493, forbids both): the parser refuses them, so every database answers the same."""
    response = post_raw(alice, endpoint, _document_with(endpoint, contact, f'"{text}"'))
    assert response.status_code == 400
    body = response.json()
    assert body == {"statusCode": 400, "errorCode": "InvalidJson", "message": body["message"]}
    assert nothing_was_kept()
    assert Contact.objects.count() == 1


@pytest.mark.parametrize("endpoint", BODY_ENDPOINTS)
def test_a_document_nested_almost_as_deep_as_the_parser_allows_is_never_a_500(
    alice: Persona, contact: Any, review: Any, endpoint: str
) -> None:
    """Whatever depth the parser accepts, what comes after it (fingerprint, validation, storage)
    must cope with it too."""
    server_errors = []
    for depth in range(800, 1001, 4):
        nested = "[" * depth + "]" * depth
        body = _document_with(endpoint, contact, nested)
        body = body.replace(b'"id": "odd"', b'"id": "odd-%d"' % depth)
        response = post_raw(alice, endpoint, body)
        if response.status_code >= 500:
            server_errors.append((depth, response.json()["errorCode"]))
    assert server_errors == []


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("interactionschemas/a%00b", SCHEMA_NOT_FOUND),
        ("interactions?contactId={contact}&schemaId=a%00b", SCHEMA_NOT_FOUND),
        (
            "contacts/id?email=a%00b",
            {"statusCode": 404, "errorCode": "ContactNotFound", "message": "No contact matches."},
        ),
        (
            "contacts/id?externalId=a%00b",
            {"statusCode": 404, "errorCode": "ContactNotFound", "message": "No contact matches."},
        ),
    ],
)
def test_a_nul_character_in_an_id_is_not_found_never_a_500(
    alice: Persona, contact: Any, review: Any, path: str, expected: dict[str, Any]
) -> None:
    response = alice.get(path.format(contact=contact.pk))
    assert response.status_code == 404
    assert response.json() == expected


def test_deleting_a_schema_by_a_nul_id_is_not_found_never_a_500(
    alice: Persona, review: Any
) -> None:
    response = alice.delete("interactionschemas?interactionSchemaId=a%00b")
    assert response.status_code == 404
    assert response.json() == SCHEMA_NOT_FOUND


# --- Refused interactions keep their exact body ------------------------------------------------


def _refused(persona: Persona, body: bytes) -> tuple[Any, dict[str, Any]]:
    with time_machine.travel(FROZEN, tick=False):
        response = post_raw(persona, "interactions", body)
    refused_id = response.json()["refusedId"]
    fetched = persona.get(f"refusedinteractions/{refused_id}")
    assert fetched.status_code == 200
    return response, fetched.json()


def test_a_body_refused_for_its_rules_is_kept_exactly_as_sent(
    alice: Persona, contact: Any, review: Any
) -> None:
    # Odd spacing, a tab, non-ASCII text and a trailing newline: all of it must come back.
    template = (
        '{ "contactId" : "CONTACT",\n  "schemaId":"review",\t'
        '"payload": {"title": "Caf\u00e9 \u2615", "rating": "four"}  }\n'
    )
    body = template.replace("CONTACT", str(contact.pk)).encode()
    response, refused = _refused(alice, body)
    errors = [{"field": "payload.rating", "code": "type", "message": "must be an integer"}]
    assert response.status_code == 400
    assert response.json()["errors"] == errors
    assert refused == {
        "id": response.json()["refusedId"],
        "receivedAt": "2025-03-01T12:00:00.500000Z",
        "statusCode": 400,
        "errorCode": "InvalidInteraction",
        "errors": errors,
        "raw": body.decode(),
    }


def test_a_body_refused_for_an_unknown_contact_is_kept_exactly_as_sent(
    alice: Persona, review: Any
) -> None:
    body = (
        b'{"contactId":"%s","schemaId":"review","payload":{"rating":4}}'
        % str(uuid.uuid4()).encode()
    )
    response, refused = _refused(alice, body)
    assert response.status_code == 404
    assert refused == {
        "id": response.json()["refusedId"],
        "receivedAt": "2025-03-01T12:00:00.500000Z",
        "statusCode": 404,
        "errorCode": "ContactNotFound",
        "errors": [{"field": "contactId", "code": "invalid", "message": "no contact has this id"}],
        "raw": body.decode(),
    }


def test_a_body_refused_for_an_unknown_schema_is_kept_exactly_as_sent(
    alice: Persona, contact: Any
) -> None:
    body = (
        b'{"contactId": "%s", "schemaId": "gone", "payload": {"rating": 4}}'
        % str(contact.pk).encode()
    )
    response, refused = _refused(alice, body)
    assert response.status_code == 404
    assert refused == {
        "id": response.json()["refusedId"],
        "receivedAt": "2025-03-01T12:00:00.500000Z",
        "statusCode": 404,
        "errorCode": "InteractionSchemaNotFound",
        "errors": [
            {"field": "schemaId", "code": "invalid", "message": "no interaction schema has this id"}
        ],
        "raw": body.decode(),
    }


def test_requests_refused_before_reading_the_body_keep_nothing(
    alice: Persona, contact: Any, review: Any, settings: Any
) -> None:
    settings.API_MAX_BODY_BYTES = 1024
    body = json.dumps(interaction_document(contact)).encode()
    unauthorized = APIClient().post(
        "/api/v2/interactions", data=body, content_type="application/json"
    )
    unsupported = post_raw(alice, "interactions", body, content_type="text/plain")
    too_large = post_raw(alice, "interactions", body + b" " * 1024)
    assert [unauthorized.status_code, unsupported.status_code, too_large.status_code] == [
        401,
        415,
        413,
    ]
    for response in (unauthorized, unsupported, too_large):
        assert "refusedId" not in response.json()
    assert nothing_was_kept()


def test_a_request_over_the_rate_keeps_nothing(alice: Persona, contact: Any, review: Any) -> None:
    ApiKey.objects.filter(tenant=alice.tenant).update(rate_limit_per_second=1)
    with time_machine.travel(FROZEN, tick=False):
        assert alice.get("ping").status_code == 200
        response = alice.post("interactions", interaction_document(contact))
    assert response.status_code == 429
    assert nothing_was_kept()

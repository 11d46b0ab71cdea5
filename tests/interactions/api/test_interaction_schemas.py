"""Interaction schemas through the API: the Engage routes, the rules, the limits, hostile documents,
and what deleting a schema does to its interactions."""

import json
import os
import time
from typing import Any

import pytest

from interactions.models import Interaction, InteractionSchema, PendingRawCopy
from interactions.schema_validation import compiled_schema
from interactions.services.raw_storage import (
    INTERACTIONS,
    blob_deletions_process,
    raw_copies_flush,
    raw_copy_path,
)
from tests.conftest import Persona
from tests.factories import (
    REVIEW_JSON_SCHEMA,
    make_interaction,
    make_schema,
    make_schema_stored_before_the_name_rule,
)

DIALECT = "https://json-schema.org/draft/2020-12/schema"
INVALID_ID = {
    "field": "id",
    "code": "invalid",
    "message": "must be 1 to 64 letters, digits, '-' or '_'",
}


def schema_body(
    schema_id: str = "review",
    json_schema: Any = None,
    display_name: str = "Wrote a review",
) -> dict[str, Any]:
    return {
        "id": schema_id,
        "displayName": display_name,
        "jsonSchema": REVIEW_JSON_SCHEMA if json_schema is None else json_schema,
    }


def object_of(**properties: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties}


def invalid_schema(*errors: dict[str, str]) -> dict[str, Any]:
    return {
        "statusCode": 400,
        "errorCode": "InvalidInteractionSchema",
        "message": "The interaction schema is not valid.",
        "errors": list(errors),
    }


def not_found() -> dict[str, Any]:
    return {
        "statusCode": 404,
        "errorCode": "InteractionSchemaNotFound",
        "message": "No interaction schema has this id.",
    }


# --- Create, list, get, delete --------------------------------------------------------------------


def test_a_created_schema_is_answered_with_its_id_and_address(alice: Persona) -> None:
    response = alice.post("interactionschemas", schema_body())
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "id": "review",
        "self": {
            "href": "http://testserver/api/v2/interactionschemas/review",
            "created": body["self"]["created"],
        },
    }
    assert body["self"]["created"].endswith("Z")


def test_the_address_uses_the_prefix_the_request_used(alice: Persona) -> None:
    response = alice.client.post("/api/v3/interactionschemas", schema_body(), format="json")
    assert response.status_code == 200
    assert response.json()["self"]["href"] == "http://testserver/api/v3/interactionschemas/review"
    assert alice.client.get("/api/v3/interactionschemas/review").json() == schema_body()


def test_the_list_holds_each_schema_s_id_and_display_name(alice: Persona) -> None:
    assert alice.get("interactionschemas").json() == []
    alice.post("interactionschemas", schema_body("review", display_name="Wrote a review"))
    alice.post("interactionschemas", schema_body("Return_2", display_name="Returned"))
    alice.post("interactionschemas", schema_body("repair-1", display_name="Repaired"))
    response = alice.get("interactionschemas")
    assert response.status_code == 200
    assert sorted(response.json(), key=lambda s: s["id"]) == [
        {"id": "Return_2", "displayName": "Returned"},
        {"id": "repair-1", "displayName": "Repaired"},
        {"id": "review", "displayName": "Wrote a review"},
    ]


def test_a_schema_is_read_back_with_id_display_name_and_json_schema(alice: Persona) -> None:
    alice.post("interactionschemas", schema_body())
    response = alice.get("interactionschemas/review")
    assert response.status_code == 200
    assert response.json() == {
        "id": "review",
        "displayName": "Wrote a review",
        "jsonSchema": REVIEW_JSON_SCHEMA,
    }


def test_an_unknown_schema_is_not_found(alice: Persona) -> None:
    response = alice.get("interactionschemas/nothing")
    assert response.status_code == 404
    assert response.json() == not_found()


def test_schema_ids_are_case_sensitive(alice: Persona) -> None:
    assert alice.post("interactionschemas", schema_body("review")).status_code == 200
    assert alice.post("interactionschemas", schema_body("Review")).status_code == 200
    assert alice.get("interactionschemas/REVIEW").status_code == 404


@pytest.mark.parametrize(
    "delete",
    [
        lambda persona: persona.delete("interactionschemas/review"),
        lambda persona: persona.delete("interactionschemas?interactionSchemaId=review"),
    ],
    ids=["by path", "by query"],
)
def test_a_deleted_schema_is_gone(alice: Persona, delete: Any) -> None:
    alice.post("interactionschemas", schema_body())
    alice.post("interactionschemas", schema_body("other"))
    response = delete(alice)
    assert response.status_code == 204
    assert response.content == b""
    assert alice.get("interactionschemas/review").json() == not_found()
    assert alice.get("interactionschemas").json() == [
        {"id": "other", "displayName": "Wrote a review"}
    ]
    assert delete(alice).json() == not_found()


def test_deleting_by_query_needs_the_schema_id(alice: Persona) -> None:
    response = alice.delete("interactionschemas")
    assert response.status_code == 400
    assert response.json() == {
        "statusCode": 400,
        "errorCode": "InvalidRequest",
        "message": "The query parameter interactionSchemaId is required.",
        "errors": [{"field": "interactionSchemaId", "code": "required", "message": "is required"}],
    }


# --- Rules for the id, the display name and the document ------------------------------------------


def test_a_second_schema_with_the_same_id_is_a_conflict(alice: Persona) -> None:
    alice.post("interactionschemas", schema_body())
    response = alice.post("interactionschemas", schema_body(display_name="Another"))
    assert response.status_code == 409
    assert response.json() == {
        "statusCode": 409,
        "errorCode": "InteractionSchemaAlreadyExists",
        "message": "An interaction schema with this id already exists.",
        "errors": [{"field": "id", "code": "invalid", "message": "is already used"}],
    }
    assert alice.get("interactionschemas/review").json()["displayName"] == "Wrote a review"


@pytest.mark.parametrize(
    "schema_id",
    ["", "x" * 65, "has space", "a/b", "../etc", "review?", "ö", 5],
    ids=["empty", "65 chars", "space", "slash", "dots", "question mark", "non-ascii", "number"],
)
def test_it_refuses_an_invalid_id(alice: Persona, schema_id: Any) -> None:
    response = alice.post("interactionschemas", schema_body(schema_id))
    assert response.status_code == 400
    assert response.json() == invalid_schema(INVALID_ID)
    assert InteractionSchema.objects.count() == 0


def test_an_id_of_64_letters_digits_dashes_and_underscores_is_fine(alice: Persona) -> None:
    schema_id = ("Ab1-_" * 13)[:64]
    assert alice.post("interactionschemas", schema_body(schema_id)).status_code == 200
    assert alice.get(f"interactionschemas/{schema_id}").json()["id"] == schema_id


def test_it_requires_an_id(alice: Persona) -> None:
    body = schema_body()
    del body["id"]
    response = alice.post("interactionschemas", body)
    assert response.status_code == 400
    assert response.json() == invalid_schema(
        {"field": "id", "code": "required", "message": "is required"}
    )


@pytest.mark.parametrize("display_name", ["missing", None])
def test_it_requires_a_display_name(alice: Persona, display_name: Any) -> None:
    body = schema_body()
    if display_name == "missing":
        del body["displayName"]
    else:
        body["displayName"] = display_name
    response = alice.post("interactionschemas", body)
    assert response.status_code == 400
    assert response.json() == invalid_schema(
        {"field": "displayName", "code": "required", "message": "is required"}
    )


def test_it_requires_a_json_schema(alice: Persona) -> None:
    response = alice.post("interactionschemas", {"id": "review", "displayName": "Review"})
    assert response.status_code == 400
    assert response.json() == invalid_schema(
        {"field": "jsonSchema", "code": "required", "message": "is required"}
    )


def test_the_schema_is_returned_exactly_as_posted(alice: Persona) -> None:
    # Unusual key order, display keywords as strings and as JSON values, a float bound.
    posted = {
        "required": ["zeta"],
        "properties": {
            "zeta": {
                "displayName": "Zeta",
                "type": "string",
                "showInContactCard": "true",
                "sortOrder": "1",
            },
            "alpha": {
                "sortOrder": 0,
                "type": "number",
                "minimum": 1.5,
                "addToSegmentation": "true",
                "showInContactCard": False,
            },
            "mid": {"type": "boolean", "addToSegmentation": True, "description": "Ja/nej, åäö ✓"},
        },
        "description": "kept as is",
        "type": "object",
        "$schema": DIALECT,
    }
    assert alice.post("interactionschemas", schema_body(json_schema=posted)).status_code == 200
    response = alice.get("interactionschemas/review")
    fetched = response.json()["jsonSchema"]
    assert json.dumps(fetched) == json.dumps(posted)  # same values, same key order everywhere
    assert b'"showInContactCard":"true"' in response.content


@pytest.mark.parametrize(
    "dialect",
    [
        "http://json-schema.org/draft-07/schema#",
        "https://json-schema.org/draft/2019-09/schema",
        "http://json-schema.org/draft/2020-12/schema",
        "https://evil.example/schema",
        "",
    ],
)
def test_it_refuses_a_dialect_other_than_2020_12(alice: Persona, dialect: str) -> None:
    response = alice.post(
        "interactionschemas", schema_body(json_schema={**REVIEW_JSON_SCHEMA, "$schema": dialect})
    )
    assert response.status_code == 400
    assert response.json() == invalid_schema(
        {"field": "jsonSchema.$schema", "code": "invalid", "message": f"must be {DIALECT}"}
    )


def test_the_dialect_may_be_omitted(alice: Persona) -> None:
    document = {key: value for key, value in REVIEW_JSON_SCHEMA.items() if key != "$schema"}
    assert alice.post("interactionschemas", schema_body(json_schema=document)).status_code == 200


# --- Property names are identifiers --------------------------------------------------------------

NOT_AN_IDENTIFIER = "use letters (a-z, A-Z), digits and _, not starting with a digit"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("bad name!", f"'bad name!' can't be a property name: {NOT_AN_IDENTIFIER}"),
        ("a.b", f"'a.b' can't be a property name: {NOT_AN_IDENTIFIER}"),
        ("$ref", f"'$ref' can't be a property name: {NOT_AN_IDENTIFIER}"),
        ("1st", f"'1st' can't be a property name: {NOT_AN_IDENTIFIER}"),
        ("prix-€", f"'prix-€' can't be a property name: {NOT_AN_IDENTIFIER}"),
        ("", f"'' can't be a property name: {NOT_AN_IDENTIFIER}"),
        ("__proto__", "'__proto__' can't be a property name: names starting with __ are reserved"),
        ("a" * 129, "is too long: a property name has at most 128 characters"),
    ],
    ids=["space and !", "dot", "dollar", "digit first", "non-ascii", "empty", "dunder", "129"],
)
def test_it_refuses_a_property_name_that_is_not_an_identifier(
    alice: Persona, name: str, reason: str
) -> None:
    document = object_of(price={"type": "number"}, **{name: {"type": "string"}})
    response = alice.post("interactionschemas", schema_body(json_schema=document))
    assert response.status_code == 400
    assert response.json() == invalid_schema(
        {"field": f"jsonSchema.properties.{name}", "code": "invalid", "message": reason}
    )
    assert InteractionSchema.objects.count() == 0


def test_engage_style_property_names_are_identifiers(alice: Persona) -> None:
    names = ["productSku", "orderedAt", "price", "store_id", "_internal", "line2", "A" * 128]
    document = object_of(**{name: {"type": "string"} for name in names})
    assert alice.post("interactionschemas", schema_body(json_schema=document)).status_code == 200
    stored = alice.get("interactionschemas/review").json()["jsonSchema"]
    assert list(stored["properties"]) == names


def test_a_schema_stored_before_the_name_rule_is_still_read_and_used(
    alice: Persona, contact: Any
) -> None:
    document = object_of(**{"order no.": {"type": "integer"}, "$note": {"type": "string"}})
    make_schema_stored_before_the_name_rule(alice.tenant, "legacy", document)
    assert alice.get("interactionschemas/legacy").json()["jsonSchema"] == document
    sent = alice.post(
        "interactions",
        {
            "contactId": str(contact.pk),
            "schemaId": "legacy",
            "payload": {"order no.": 7, "$note": "kept"},
        },
    )
    assert sent.status_code == 200
    stored = alice.get(f"interactions/{sent.json()['id']}").json()
    assert stored["payload"] == {"order no.": 7, "$note": "kept"}


# --- Limits ---------------------------------------------------------------------------------------


def schema_limit(message: str, *errors: dict[str, str]) -> dict[str, Any]:
    return {
        "statusCode": 400,
        "errorCode": "InteractionSchemaLimitExceeded",
        "message": message,
        "errors": list(errors),
    }


def test_a_tenant_may_have_at_most_15_schemas(alice: Persona, bob: Persona) -> None:
    for index in range(15):
        make_schema(alice.tenant, schema_id=f"s{index}")
    response = alice.post("interactionschemas", schema_body("one-too-many"))
    assert response.status_code == 400
    assert response.json() == schema_limit(
        "A tenant may have at most 15 interaction schemas.",
        {"field": "id", "code": "limit", "message": "at most 15 schemas per tenant"},
    )
    # Another tenant's count is its own, and deleting a schema frees a place.
    assert bob.post("interactionschemas", schema_body()).status_code == 200
    assert alice.delete("interactionschemas/s0").status_code == 204
    assert alice.post("interactionschemas", schema_body("one-too-many")).status_code == 200


def test_the_schema_limit_is_set_per_tenant(alice: Persona, bob: Persona) -> None:
    alice.tenant.max_schemas = 2
    alice.tenant.save(update_fields=["max_schemas"])
    assert alice.post("interactionschemas", schema_body("a")).status_code == 200
    assert alice.post("interactionschemas", schema_body("b")).status_code == 200
    response = alice.post("interactionschemas", schema_body("c"))
    assert response.json() == schema_limit(
        "A tenant may have at most 2 interaction schemas.",
        {"field": "id", "code": "limit", "message": "at most 2 schemas per tenant"},
    )
    for schema_id in "abc":
        assert bob.post("interactionschemas", schema_body(schema_id)).status_code == 200


def segmentable(count: int, *, plain: int = 0) -> dict[str, Any]:
    """A schema with ``count`` segmentable properties (as booleans and as strings)."""
    properties = {
        f"s{index}": {"type": "string", "addToSegmentation": True if index % 2 else "true"}
        for index in range(count)
    }
    for index in range(plain):
        properties[f"p{index}"] = {"type": "string", "addToSegmentation": "false"}
    return object_of(**properties)


def test_a_schema_may_have_at_most_6_segmentable_properties(alice: Persona) -> None:
    allowed = alice.post("interactionschemas", schema_body("six", segmentable(6, plain=3)))
    assert allowed.status_code == 200
    response = alice.post("interactionschemas", schema_body("seven", segmentable(7)))
    assert response.status_code == 400
    assert response.json() == schema_limit(
        "The interaction schema goes beyond a limit.",
        {
            "field": "jsonSchema.properties",
            "code": "limit",
            "message": "at most 6 properties may have addToSegmentation true, not 7",
        },
    )


def test_the_segmentable_property_limit_is_set_per_tenant(alice: Persona, bob: Persona) -> None:
    alice.tenant.max_segmentable_properties = 1
    alice.tenant.save(update_fields=["max_segmentable_properties"])
    response = alice.post("interactionschemas", schema_body("two", segmentable(2)))
    assert response.json() == schema_limit(
        "The interaction schema goes beyond a limit.",
        {
            "field": "jsonSchema.properties",
            "code": "limit",
            "message": "at most 1 properties may have addToSegmentation true, not 2",
        },
    )
    assert alice.post("interactionschemas", schema_body("one", segmentable(1))).status_code == 200
    assert bob.post("interactionschemas", schema_body("two", segmentable(2))).status_code == 200


def document_of_size(size: int) -> dict[str, Any]:
    """A valid schema document whose compact UTF-8 JSON is exactly ``size`` bytes."""
    document = object_of(p={"type": "string", "description": ""})
    padding = size - len(json.dumps(document, separators=(",", ":")).encode())
    document["properties"]["p"]["description"] = "x" * padding
    return document


def test_a_schema_document_may_be_at_most_64_kb(alice: Persona, settings: Any) -> None:
    settings.API_MAX_BODY_BYTES = 256 * 1024  # so that the document's own limit is what answers
    at_limit = alice.post("interactionschemas", schema_body("fits", document_of_size(65536)))
    assert at_limit.status_code == 200
    response = alice.post("interactionschemas", schema_body("big", document_of_size(65537)))
    assert response.status_code == 400
    assert response.json() == schema_limit(
        "The interaction schema goes beyond a limit.",
        {
            "field": "jsonSchema",
            "code": "limit",
            "message": "must be at most 65536 bytes, not 65537",
        },
    )


def test_a_body_over_the_body_limit_is_payload_too_large(alice: Persona) -> None:
    response = alice.post("interactionschemas", schema_body("big", document_of_size(70000)))
    assert response.status_code == 413
    assert response.json() == {
        "statusCode": 413,
        "errorCode": "PayloadTooLarge",
        "message": "The request body must be at most 65536 bytes.",
    }


# --- Hostile documents ----------------------------------------------------------------------------


def nested(depth: int) -> str:
    """A schema ``depth`` levels of properties inside properties, as JSON text."""
    opening = '{"type":"object","properties":{"p":' * depth
    document = opening + '{"type":"string"}' + "}}" * depth
    return '{"id":"deep","displayName":"Deep","jsonSchema":' + document + "}"


P = "jsonSchema.properties.p"
INVALID = "InvalidInteractionSchema"
LIMIT = "InteractionSchemaLimitExceeded"
HOSTILE: list[tuple[str, Any, str, list[tuple[str, str]]]] = [
    (
        "remote $ref in a property",
        object_of(p={"type": "string", "$ref": "https://evil.example/s.json"}),
        INVALID,
        [(f"{P}.$ref", "unknown")],
    ),
    (
        "file $ref in a property",
        object_of(p={"type": "string", "$ref": "file:///etc/passwd"}),
        INVALID,
        [(f"{P}.$ref", "unknown")],
    ),
    (
        "a property that is only a remote $ref",
        object_of(p={"$ref": "https://evil.example/s.json#/defs/x"}),
        INVALID,
        [(f"{P}.$ref", "unknown"), (f"{P}.type", "required")],
    ),
    (
        "remote $ref at the top",
        {"$ref": "https://evil.example/s.json", "type": "object", "properties": {}},
        INVALID,
        [("jsonSchema.$ref", "unknown")],
    ),
    (
        "$id rebasing a relative $ref onto another host",
        {
            "$id": "https://evil.example/",
            "type": "object",
            "properties": {"p": {"type": "string", "$ref": "s.json"}},
        },
        INVALID,
        [("jsonSchema.$id", "unknown"), (f"{P}.$ref", "unknown")],
    ),
    (
        "file $id in a property",
        object_of(p={"type": "string", "$id": "file:///etc/"}),
        INVALID,
        [(f"{P}.$id", "unknown")],
    ),
    (
        "$ref cycle through $defs",
        {
            "type": "object",
            "properties": {},
            "$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}},
            "$ref": "#/$defs/a",
        },
        INVALID,
        [("jsonSchema.$defs", "unknown"), ("jsonSchema.$ref", "unknown")],
    ),
    (
        "a property that refers to itself",
        object_of(p={"type": "string", "$ref": "#/properties/p"}),
        INVALID,
        [(f"{P}.$ref", "unknown")],
    ),
    (
        "$anchor and $dynamicRef",
        object_of(p={"type": "string", "$anchor": "x", "$dynamicRef": "#x"}),
        INVALID,
        [(f"{P}.$anchor", "unknown"), (f"{P}.$dynamicRef", "unknown")],
    ),
    (
        "backtracking with a back-reference",
        object_of(p={"type": "string", "pattern": "^(a+)+\\1$"}),
        INVALID,
        [(f"{P}.pattern", "pattern")],
    ),
    (
        "look-ahead",
        object_of(p={"type": "string", "pattern": "^(?=.*[0-9])[a-z0-9]+$"}),
        INVALID,
        [(f"{P}.pattern", "pattern")],
    ),
    (
        "negative look-behind",
        object_of(p={"type": "string", "pattern": "(?<!a)b"}),
        INVALID,
        [(f"{P}.pattern", "pattern")],
    ),
    (
        "back-reference",
        object_of(p={"type": "string", "pattern": "(\\w+)\\s\\1"}),
        INVALID,
        [(f"{P}.pattern", "pattern")],
    ),
    (
        "a repetition too large to compile",
        object_of(p={"type": "string", "pattern": "((a{1000}){1000}){1000}"}),
        INVALID,
        [(f"{P}.pattern", "pattern")],
    ),
    (
        "a pattern over 1000 characters",
        object_of(p={"type": "string", "pattern": "a" * 1001}),
        LIMIT,
        [(f"{P}.pattern", "limit")],
    ),
    (
        "properties inside properties",
        object_of(p={"type": "object", "properties": {"q": {"type": "string"}}}),
        INVALID,
        [(f"{P}.properties", "unknown"), (f"{P}.type", "invalid")],
    ),
    (
        "an array of objects",
        object_of(p={"type": "array", "items": {"type": "object"}}),
        INVALID,
        [(f"{P}.items", "unknown"), (f"{P}.type", "invalid")],
    ),
    (
        "combinators at the top",
        {
            "type": "object",
            "properties": {},
            "allOf": [{}],
            "anyOf": [{}],
            "oneOf": [{}],
            "not": {},
            "if": {},
            "then": {},
            "else": {},
        },
        INVALID,
        [
            (f"jsonSchema.{keyword}", "unknown")
            for keyword in ("allOf", "anyOf", "oneOf", "not", "if", "then", "else")
        ],
    ),
    (
        "object keywords at the top",
        {
            "type": "object",
            "properties": {},
            "additionalProperties": False,
            "patternProperties": {"^x": {}},
            "unevaluatedProperties": False,
            "dependentSchemas": {},
            "propertyNames": {"pattern": "(?=a)"},
        },
        INVALID,
        [
            (f"jsonSchema.{keyword}", "unknown")
            for keyword in (
                "additionalProperties",
                "patternProperties",
                "unevaluatedProperties",
                "dependentSchemas",
                "propertyNames",
            )
        ],
    ),
    (
        "keywords outside the allow-list in a property",
        object_of(
            p={
                "type": "string",
                "const": "x",
                "default": "x",
                "contentMediaType": "text/html",
                "unevaluatedProperties": False,
            }
        ),
        INVALID,
        [
            (f"{P}.{keyword}", "unknown")
            for keyword in ("const", "default", "contentMediaType", "unevaluatedProperties")
        ],
    ),
    (
        "a format that is not on the list",
        object_of(p={"type": "string", "format": "hostname"}),
        INVALID,
        [(f"{P}.format", "invalid")],
    ),
    (
        "a document over 64 KB",
        object_of(p={"type": "string", "description": "x" * 70000}),
        LIMIT,
        [("jsonSchema", "limit")],
    ),
    (
        "101 properties",
        object_of(**{f"p{index}": {"type": "string"} for index in range(101)}),
        LIMIT,
        [("jsonSchema.properties", "limit")],
    ),
    (
        "5000 properties",
        object_of(**{f"p{index}": {"type": "integer"} for index in range(5000)}),
        LIMIT,
        [("jsonSchema", "limit")],
    ),
    (
        "an enum of 1001 values",
        object_of(p={"type": "integer", "enum": list(range(1001))}),
        LIMIT,
        [(f"{P}.enum", "limit")],
    ),
]


@pytest.fixture
def big_bodies(settings: Any) -> None:
    """Bodies up to 1 MB, so that hostile documents reach the schema rules (not the 413)."""
    settings.API_MAX_BODY_BYTES = 1024 * 1024


@pytest.mark.usefixtures("big_bodies", "no_gc_pauses")
@pytest.mark.parametrize(
    ("document", "error_code", "fields"),
    [case[1:] for case in HOSTILE],
    ids=[case[0] for case in HOSTILE],
)
def test_it_refuses_a_hostile_schema_quickly_naming_the_path(
    alice: Persona, document: Any, error_code: str, fields: list[tuple[str, str]]
) -> None:
    alice.get("ping")  # warm up
    body = json.dumps(schema_body("hostile", document))
    started = time.perf_counter()
    response = alice.client.post(
        "/api/v2/interactionschemas", body, content_type="application/json"
    )
    elapsed = time.perf_counter() - started
    assert response.status_code == 400
    answer = response.json()
    assert answer["errorCode"] == error_code
    assert [(error["field"], error["code"]) for error in answer["errors"]] == fields
    assert elapsed < 0.1
    assert InteractionSchema.objects.count() == 0


@pytest.mark.usefixtures("big_bodies", "no_gc_pauses")
@pytest.mark.parametrize("depth", [2, 10, 40, 400, 900, 5000])
def test_it_refuses_deeply_nested_properties_quickly(alice: Persona, depth: int) -> None:
    alice.get("ping")  # warm up
    started = time.perf_counter()
    response = alice.client.post(
        "/api/v2/interactionschemas", nested(depth), content_type="application/json"
    )
    elapsed = time.perf_counter() - started
    assert response.status_code == 400
    answer = response.json()
    # Shallow nesting reaches the schema rules; a body nested deeper than the parser's 64 levels
    # (each level of properties is two objects) is refused as JSON.
    if depth <= 10:
        assert answer["errorCode"] == INVALID
        assert [(e["field"], e["code"]) for e in answer["errors"]] == [
            (f"{P}.properties", "unknown"),
            (f"{P}.type", "invalid"),
        ]
    elif len(nested(depth)) > 65536 + 4096:
        # Too big to hold a valid schema: refused by size before it is parsed.
        assert answer["errorCode"] == LIMIT
    else:
        assert answer["errorCode"] == "InvalidJson"
        # Past the interpreter's recursion limit the parser itself gives up.
        assert answer["message"] in (
            "The request body is nested deeper than 64 levels.",
            "The request body is nested too deeply.",
        )
    assert elapsed < 0.1
    assert InteractionSchema.objects.count() == 0


@pytest.mark.usefixtures("no_gc_pauses")
def test_a_backtracking_pattern_is_accepted_and_runs_in_linear_time(
    alice: Persona, contact: Any
) -> None:
    document = object_of(p={"type": "string", "pattern": "^(a+)+$"}, n={"type": "integer"})
    assert alice.post("interactionschemas", schema_body("re", document)).status_code == 200
    started = time.perf_counter()
    response = alice.post(
        "interactions?include=droppedProperties",
        {"contactId": str(contact.pk), "schemaId": "re", "payload": {"p": "a" * 50_000 + "!"}},
    )
    elapsed = time.perf_counter() - started
    assert response.status_code == 200
    assert response["Engage-Dropped-Properties"] == "payload.p"
    assert [(d["field"], d["code"]) for d in response.json()["droppedProperties"]] == [
        ("payload.p", "pattern")
    ]
    assert elapsed < 0.1


# --- Deleting a schema deletes its interactions ---------------------------------------------------


def listing(persona: Persona, contact: Any, schema_id: str) -> Any:
    return persona.get(f"interactions?contactId={contact.pk}&schemaId={schema_id}")


def test_deleting_a_schema_deletes_its_interactions_and_raw_copies_and_frees_its_id(
    alice: Persona, contact: Any, blob_store: Any
) -> None:
    schema = make_schema(alice.tenant)
    other = make_schema(alice.tenant, schema_id="other")
    flushed = make_interaction(contact, schema)
    kept = make_interaction(contact, other)
    raw_copies_flush()
    pending = make_interaction(contact, schema, payload={"rating": 2})

    def path(interaction: Interaction) -> str:
        return raw_copy_path(tenant_id=alice.tenant.pk, kind=INTERACTIONS, object_id=interaction.pk)

    assert blob_store.exists(path(flushed))
    assert PendingRawCopy.objects.filter(path=path(pending)).exists()

    assert alice.delete("interactionschemas/review").status_code == 204
    blob_deletions_process()

    assert not Interaction.objects.filter(pk__in=[flushed.pk, pending.pk]).exists()
    assert not InteractionSchema.objects.filter(pk=schema.pk).exists()
    assert not blob_store.exists(path(flushed))
    assert not PendingRawCopy.objects.filter(path=path(pending)).exists()
    for interaction in (flushed, pending):
        assert alice.get(f"interactions/{interaction.pk}").status_code == 404
        assert alice.get(f"interactions/{interaction.pk}/raw").status_code == 404
    # The other schema's interaction is untouched.
    assert alice.get(f"interactions/{kept.pk}").status_code == 200
    assert blob_store.exists(path(kept))

    # The id is free at once, for a new schema with other rules and none of the old interactions.
    new_rules = object_of(stars={"type": "string", "enum": ["one", "two"]})
    assert alice.post("interactionschemas", schema_body(json_schema=new_rules)).status_code == 200
    assert listing(alice, contact, "review").json()["items"] == []
    posted = alice.post(
        "interactions",
        {"contactId": str(contact.pk), "schemaId": "review", "payload": {"stars": "two"}},
    )
    assert posted.status_code == 200
    assert "Engage-Dropped-Properties" not in posted
    assert [item["id"] for item in listing(alice, contact, "review").json()["items"]] == [
        posted.json()["id"]
    ]


@pytest.mark.skipif(
    bool(os.environ.get("REDIS_URL")), reason="the purge task runs in-process only without Redis"
)
def test_deleting_a_schema_with_many_interactions_hides_them_at_once_and_purges_them_later(
    alice: Persona,
    contact: Any,
    settings: Any,
    blob_store: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.SCHEMA_DELETE_INLINE_LIMIT = 2
    schema = make_schema(alice.tenant)
    old = [make_interaction(contact, schema) for _ in range(3)]
    raw_copies_flush()
    paths = [
        raw_copy_path(tenant_id=alice.tenant.pk, kind=INTERACTIONS, object_id=i.pk) for i in old
    ]
    assert all(blob_store.exists(p) for p in paths)

    with django_capture_on_commit_callbacks() as callbacks:
        response = alice.delete("interactionschemas/review")
    assert response.status_code == 204

    # Before the background purge: gone from the API, still in the database.
    assert Interaction.objects.filter(schema=schema).count() == 3
    assert alice.get("interactionschemas/review").json() == not_found()
    assert listing(alice, contact, "review").json() == not_found()
    for interaction in old:
        for path in (f"interactions/{interaction.pk}", f"interactions/{interaction.pk}/raw"):
            assert alice.get(path).json() == {
                "statusCode": 404,
                "errorCode": "InteractionNotFound",
                "message": "No interaction has this id.",
            }
    # The id is free at once and the new schema shows none of the old interactions.
    assert alice.post("interactionschemas", schema_body()).status_code == 200
    new = make_interaction(contact, InteractionSchema.objects.active().get(schema_id="review"))
    assert [item["id"] for item in listing(alice, contact, "review").json()["items"]] == [
        str(new.pk)
    ]

    assert callbacks, "the purge must be enqueued when the deletion commits"
    for callback in callbacks:
        callback()  # runs the purge task in-process
    blob_deletions_process()

    assert not Interaction.objects.filter(pk__in=[i.pk for i in old]).exists()
    assert not InteractionSchema.objects.filter(pk=schema.pk).exists()
    assert not any(blob_store.exists(p) for p in paths)
    assert Interaction.objects.filter(pk=new.pk).exists()
    assert alice.get(f"interactions/{new.pk}").status_code == 200


def test_the_purge_also_runs_when_the_deletion_commits(
    alice: Persona, contact: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    if os.environ.get("REDIS_URL"):
        pytest.skip("the purge task runs in-process only without Redis")
    settings.SCHEMA_DELETE_INLINE_LIMIT = 2
    schema = make_schema(alice.tenant)
    for _ in range(3):
        make_interaction(contact, schema)
    with django_capture_on_commit_callbacks(execute=True):
        assert alice.delete("interactionschemas/review").status_code == 204
    assert not Interaction.objects.filter(schema_id=schema.pk).exists()
    assert not InteractionSchema.objects.filter(pk=schema.pk).exists()


# --- Compiled schemas are cached ------------------------------------------------------------------


def test_a_schema_is_compiled_once_and_reused(alice: Persona) -> None:
    schema = make_schema(alice.tenant)
    compiled = compiled_schema(schema)
    assert compiled_schema(schema) is compiled
    assert compiled_schema(InteractionSchema.objects.get(pk=schema.pk)) is compiled
    other = make_schema(alice.tenant, schema_id="other")
    assert compiled_schema(other) is not compiled

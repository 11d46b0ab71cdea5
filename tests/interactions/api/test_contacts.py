"""Contacts: the minimum interactions need, with Engage's wire shapes, and erasure of everything."""

import json
from typing import Any
from urllib.parse import urlencode

import pytest

from interactions.models import (
    BlobDeletion,
    Contact,
    Interaction,
    PendingRawCopy,
    RefusedInteraction,
)
from interactions.services.raw_storage import (
    INTERACTIONS,
    REFUSED,
    blob_deletions_process,
    raw_copies_flush,
    raw_copy_path,
)
from tests.conftest import Persona
from tests.factories import ContactFactory, make_interaction, make_schema

ANY_TIME = "<time>"


def with_times_marked(body: dict[str, Any]) -> dict[str, Any]:
    """``body`` with its meta timestamps replaced by a marker, after checking they are there."""
    meta = body["meta"]
    assert set(meta) == {"createdOn", "modifiedOn"}
    assert all(isinstance(value, str) and value.endswith("Z") for value in meta.values())
    return {**body, "meta": {"createdOn": ANY_TIME, "modifiedOn": ANY_TIME}}


def lookup(persona: Persona, **params: str) -> Any:
    return persona.get(f"contacts/id?{urlencode(params)}")


# --- Creating and reading -------------------------------------------------------------------------


def test_a_posted_contact_is_answered_with_201_and_the_get_shape(alice: Persona) -> None:
    response = alice.post(
        "contacts",
        {
            "email": "ann@example.com",
            "mobilePhone": "+46701234567",
            "externalId": "ann-1",
            "firstName": "Ann",
            "lastName": "Andersson",
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert with_times_marked(body) == {
        "id": body["id"],
        "contactType": "Contact",
        "attributes": {
            "email": "ann@example.com",
            "mobilePhone": "+46701234567",
            "externalId": "ann-1",
            "firstName": "Ann",
            "lastName": "Andersson",
        },
        "meta": {"createdOn": ANY_TIME, "modifiedOn": ANY_TIME},
        "preferences": {},
        "consents": [],
    }
    fetched = alice.get(f"contacts/{body['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == body


@pytest.mark.parametrize("contact_type", ["Member", "Contact", "Partner"])
def test_it_keeps_the_contact_type_given(alice: Persona, contact_type: str) -> None:
    body = alice.post("contacts", {"contactType": contact_type, "email": "a@example.com"}).json()
    assert body["contactType"] == contact_type
    assert alice.get(f"contacts/{body['id']}").json()["contactType"] == contact_type


def test_it_keeps_custom_attributes_as_posted(alice: Persona) -> None:
    attributes = {"loyaltyLevel": "gold", "points": 1200, "vip": True, "city": "Malmö"}
    body = alice.post("contacts", {"firstName": "Ann", **attributes}).json()
    assert body["attributes"] == {"firstName": "Ann", **attributes}
    assert alice.get(f"contacts/{body['id']}").json()["attributes"] == body["attributes"]


def test_an_empty_body_makes_a_contact_with_the_default_type(alice: Persona) -> None:
    response = alice.post("contacts", {})
    assert response.status_code == 201
    assert response.json()["contactType"] == "Contact"
    assert response.json()["attributes"] == {}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", 5),
        ("email", True),
        ("mobilePhone", 46701234567),
        ("externalId", {"id": 1}),
        ("firstName", ["Ann"]),
        ("contactType", 3),
    ],
)
def test_it_refuses_a_named_attribute_of_the_wrong_type(
    alice: Persona, field: str, value: Any
) -> None:
    response = alice.post("contacts", {field: value})
    assert response.status_code == 400
    assert response.json() == {
        "statusCode": 400,
        "errorCode": "InvalidRequest",
        "message": "The request is not valid.",
        "errors": [{"field": field, "code": "type", "message": "must be a string"}],
    }
    assert Contact.objects.count() == 0


def test_it_refuses_a_body_that_is_not_an_object(alice: Persona) -> None:
    response = alice.post("contacts", ["ann@example.com"])
    assert response.status_code == 400
    assert response.json() == {
        "statusCode": 400,
        "errorCode": "InvalidRequest",
        "message": "The request is not valid.",
        "errors": [{"field": "body", "code": "type", "message": "must be a JSON object"}],
    }


def test_an_unknown_contact_is_not_found(alice: Persona) -> None:
    response = alice.get("contacts/6f9619ff-8b86-d011-b42d-00c04fc964ff")
    assert response.status_code == 404
    assert response.json() == {
        "statusCode": 404,
        "errorCode": "ContactNotFound",
        "message": "No contact has this id.",
    }


@pytest.mark.parametrize("method", ["get", "delete"])
@pytest.mark.parametrize("contact_id", ["not-a-uuid", "123", "6f9619ff-8b86-d011-b42d"])
def test_a_malformed_contact_id_is_a_400(alice: Persona, method: str, contact_id: str) -> None:
    response = getattr(alice, method)(f"contacts/{contact_id}")
    assert response.status_code == 400
    assert response.json() == {
        "statusCode": 400,
        "errorCode": "InvalidRequest",
        "message": "contactId must be a UUID.",
        "errors": [{"field": "contactId", "code": "invalid", "message": "must be a UUID"}],
    }


# --- Counting and looking up ----------------------------------------------------------------------


def test_the_count_is_a_bare_integer(alice: Persona, bob: Persona) -> None:
    response = alice.get("contacts/count")
    assert response.status_code == 200
    assert response.content == b"0"
    ContactFactory.create_batch(3, tenant=alice.tenant)
    ContactFactory(tenant=bob.tenant)
    response = alice.get("contacts/count")
    assert response.json() == 3
    assert response.content == b"3"


@pytest.mark.parametrize(
    ("param", "value"),
    [("email", "ann@example.com"), ("mobilePhone", "+46701234567"), ("externalId", "ann-1")],
)
def test_a_lookup_answers_the_id_as_a_bare_json_string(
    alice: Persona, param: str, value: str
) -> None:
    ann = ContactFactory(
        tenant=alice.tenant,
        email="ann@example.com",
        mobile_phone="+46701234567",
        external_id="ann-1",
    )
    ContactFactory(
        tenant=alice.tenant, email="bo@example.com", mobile_phone="+4670", external_id="bo"
    )
    response = lookup(alice, **{param: value})
    assert response.status_code == 200
    assert response.content == json.dumps(str(ann.pk)).encode()


@pytest.mark.parametrize("param", ["email", "mobilePhone", "externalId"])
def test_a_lookup_that_matches_nobody_is_contact_not_found(alice: Persona, param: str) -> None:
    ContactFactory(tenant=alice.tenant, email="ann@example.com", external_id="ann-1")
    response = lookup(alice, **{param: "nobody"})
    assert response.status_code == 404
    assert response.json() == {
        "statusCode": 404,
        "errorCode": "ContactNotFound",
        "message": "No contact matches.",
    }


def test_a_lookup_that_matches_several_contacts_lists_them_all(alice: Persona) -> None:
    twins = ContactFactory.create_batch(3, tenant=alice.tenant, email="twin@example.com")
    ContactFactory(tenant=alice.tenant, email="other@example.com")
    response = lookup(alice, email="twin@example.com")
    assert response.status_code == 409
    body = response.json()
    assert {**body, "multipleMatchesFound": sorted(body["multipleMatchesFound"])} == {
        "statusCode": 409,
        "errorCode": "MultipleMatches",
        "message": "More than one contact matches.",
        "multipleMatchesFound": sorted(str(twin.pk) for twin in twins),
    }


@pytest.mark.parametrize(
    "params",
    [{}, {"email": ""}, {"email": "a@example.com", "externalId": "a"}, {"firstName": "Ann"}],
    ids=["none", "empty", "two", "unknown"],
)
def test_a_lookup_needs_exactly_one_of_email_mobile_phone_or_external_id(
    alice: Persona, params: dict[str, str]
) -> None:
    response = lookup(alice, **params)
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


# --- Erasing --------------------------------------------------------------------------------------


def refuse(persona: Persona, document: dict[str, Any]) -> str:
    response = persona.post("interactions", document)
    assert response.status_code in (400, 404), response.json()
    refused_id: str = response.json()["refusedId"]
    return refused_id


def test_deleting_a_contact_erases_it_and_everything_about_it(
    alice: Persona, blob_store: Any
) -> None:
    schema = make_schema(alice.tenant)
    ann = ContactFactory(tenant=alice.tenant)
    bo = ContactFactory(tenant=alice.tenant)
    tenant_id = alice.tenant.pk

    ann_flushed = make_interaction(ann, schema)
    ann_refused_flushed = refuse(
        alice, {"contactId": str(ann.pk), "schemaId": "nope", "payload": {}}
    )
    bo_flushed = make_interaction(bo, schema)
    bo_refused = refuse(alice, {"contactId": str(bo.pk), "schemaId": "review", "payload": {}})
    assert raw_copies_flush() == 4
    ann_pending = make_interaction(ann, schema, payload={"rating": 1})
    ann_refused_pending = refuse(
        alice, {"contactId": str(ann.pk), "schemaId": "review", "payload": {"rating": "x"}}
    )
    bo_pending = make_interaction(bo, schema)

    def path(kind: str, object_id: Any) -> str:
        return raw_copy_path(tenant_id=tenant_id, kind=kind, object_id=object_id)

    ann_blobs = [path(INTERACTIONS, ann_flushed.pk), path(REFUSED, ann_refused_flushed)]
    ann_pending_paths = [path(INTERACTIONS, ann_pending.pk), path(REFUSED, ann_refused_pending)]
    bo_blobs = [path(INTERACTIONS, bo_flushed.pk), path(REFUSED, bo_refused)]
    assert all(blob_store.exists(p) for p in ann_blobs + bo_blobs)
    assert PendingRawCopy.objects.filter(path__in=ann_pending_paths).count() == 2

    response = alice.delete(f"contacts/{ann.pk}")
    assert response.status_code == 204
    assert response.content == b""
    blob_deletions_process()
    assert not BlobDeletion.objects.exists()

    # Everything about Ann is gone: the contact, its interactions, refused bodies, raw copies.
    assert not Contact.objects.filter(pk=ann.pk).exists()
    assert not Interaction.objects.filter(contact_id=ann.pk).exists()
    assert not RefusedInteraction.objects.filter(contact_id=ann.pk).exists()
    assert not PendingRawCopy.objects.filter(path__in=ann_pending_paths).exists()
    assert not any(blob_store.exists(p) for p in ann_blobs)
    assert alice.get(f"contacts/{ann.pk}").status_code == 404
    for interaction in (ann_flushed, ann_pending):
        assert alice.get(f"interactions/{interaction.pk}").status_code == 404
        assert alice.get(f"interactions/{interaction.pk}/raw").status_code == 404
    for refused_id in (ann_refused_flushed, ann_refused_pending):
        assert alice.get(f"refusedinteractions/{refused_id}").status_code == 404
    assert lookup(alice, email=ann.email).status_code in (404, 409)
    assert alice.get("contacts/count").json() == 1

    # Bo's data is untouched, in the database and in blob storage.
    assert alice.get(f"contacts/{bo.pk}").status_code == 200
    assert all(blob_store.exists(p) for p in bo_blobs)
    for interaction in (bo_flushed, bo_pending):
        assert alice.get(f"interactions/{interaction.pk}").status_code == 200
        raw = alice.get(f"interactions/{interaction.pk}/raw")
        assert raw.status_code == 200
        assert raw.json()["contactId"] == str(bo.pk)
    refused = alice.get(f"refusedinteractions/{bo_refused}")
    assert refused.status_code == 200
    assert json.loads(refused.json()["raw"])["contactId"] == str(bo.pk)


def test_deleting_an_unknown_contact_is_contact_not_found(alice: Persona, contact: Any) -> None:
    response = alice.delete("contacts/6f9619ff-8b86-d011-b42d-00c04fc964ff")
    assert response.status_code == 404
    assert response.json() == {
        "statusCode": 404,
        "errorCode": "ContactNotFound",
        "message": "No contact has this id.",
    }
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_a_deleted_contact_can_t_receive_interactions(alice: Persona, contact: Any) -> None:
    make_schema(alice.tenant)
    assert alice.delete(f"contacts/{contact.pk}").status_code == 204
    response = alice.post(
        "interactions",
        {"contactId": str(contact.pk), "schemaId": "review", "payload": {"rating": 3}},
    )
    assert response.status_code == 404
    assert response.json() == {
        "statusCode": 404,
        "errorCode": "ContactNotFound",
        "message": "No contact has this id.",
        "errors": [{"field": "contactId", "code": "invalid", "message": "no contact has this id"}],
        "refusedId": response.json()["refusedId"],
    }

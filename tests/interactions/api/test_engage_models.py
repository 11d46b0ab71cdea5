"""Our bodies parse with Engage's own response models; dropped properties travel in a header.

Clients generated from Engage's Swagger file map exactly the keys of its models and raise on any
other key. The models below are the contract's ("Engage's response models (exact key sets)", and
the contact shape of its Contacts section), each as strict as such a client: an unknown key or a
missing one fails the test. Every route Engage also has is called over real HTTP, under v2 and v3,
and its success body parsed with its model.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator

from interactions.api.dropped_properties import MAX_HEADER_CHARS, dropped_properties_header
from interactions.models import Interaction
from interactions.services.sample_data import REUSE_SCHEMA
from tests.conftest import Persona
from tests.factories import make_interaction, make_schema

HEADER = "Engage-Dropped-Properties"
VERSIONS = ["v2", "v3"]


class StrictModelError(AssertionError):
    """What a generated client raises on a body its model does not describe."""


@dataclass(frozen=True)
class StrictModel:
    """An object with exactly ``keys`` (we always send them all, so each is required); the value
    under a key of ``objects`` is an object of that model, under a key of ``lists`` a list of
    them."""

    name: str
    keys: tuple[str, ...]
    objects: Mapping[str, "StrictModel"] = field(default_factory=dict)
    lists: Mapping[str, "StrictModel"] = field(default_factory=dict)

    def parse(self, value: Any, where: str = "") -> None:
        where = where or self.name
        if not isinstance(value, dict):
            raise StrictModelError(f"{where}: {self.name} must be an object, not {value!r}")
        unknown = sorted(set(value) - set(self.keys))
        if unknown:
            raise StrictModelError(f"{where}: {self.name} has no key {', '.join(unknown)}")
        missing = sorted(set(self.keys) - set(value))
        if missing:
            raise StrictModelError(f"{where}: {self.name} needs {', '.join(missing)}")
        for key, model in self.objects.items():
            model.parse(value[key], f"{where}.{key}")
        for key, model in self.lists.items():
            ListOf(model).parse(value[key], f"{where}.{key}")


@dataclass(frozen=True)
class ListOf:
    model: StrictModel

    def parse(self, value: Any, where: str = "") -> None:
        where = where or f"list of {self.model.name}"
        if not isinstance(value, list):
            raise StrictModelError(f"{where}: must be a list, not {value!r}")
        for index, item in enumerate(value):
            self.model.parse(item, f"{where}[{index}]")


@dataclass(frozen=True)
class Scalar:
    type: type

    def parse(self, value: Any, where: str = "body") -> None:
        if not isinstance(value, self.type) or isinstance(value, bool):
            raise StrictModelError(f"{where}: must be a {self.type.__name__}, not {value!r}")


Shape = StrictModel | ListOf | Scalar

INTERACTION_CREATE_RESPONSE = StrictModel(
    "InteractionCreateResponse",
    ("id", "self"),
    objects={
        "self": StrictModel("InteractionCreateResponseSelf", ("contactId", "href", "created"))
    },
)
INTERACTION_MODEL = StrictModel(
    "InteractionModel", ("id", "contactId", "schemaId", "createdDate", "payload")
)
INTERACTION_PAGE = StrictModel(
    "InteractionPage",
    ("links", "items"),
    lists={"links": StrictModel("Link", ("href", "method", "rel")), "items": INTERACTION_MODEL},
)
INTERACTION_SCHEMA_WITHOUT_JSON_MODEL = StrictModel(
    "InteractionSchemaWithoutJsonModel", ("id", "displayName")
)
INTERACTION_SCHEMA_MODEL = StrictModel(
    "InteractionSchemaModel", ("jsonSchema", "id", "displayName")
)
INTERACTION_SCHEMA_RESPONSE = StrictModel(
    "InteractionSchemaResponse",
    ("id", "self"),
    objects={"self": StrictModel("InteractionSchemaResponseSelf", ("href", "created"))},
)
CONTACT = StrictModel(
    "Contact",
    ("id", "contactType", "attributes", "meta", "preferences", "consents"),
    objects={"meta": StrictModel("ContactMeta", ("createdOn", "modifiedOn"))},
)


@dataclass
class World:
    """What the routes are called on: one tenant's contact, schema and interactions."""

    persona: Persona
    version: str
    contact: Any
    interactions: list[Interaction]

    def path(self, path: str) -> str:
        return self.persona.url(path, self.version)

    def get(self, path: str) -> Any:
        return self.persona.client.get(self.path(path))

    def post(self, path: str, document: Any, **headers: str) -> Any:
        return self.persona.client.post(self.path(path), document, format="json", headers=headers)

    def delete(self, path: str) -> Any:
        return self.persona.client.delete(self.path(path))


def interaction_document(world: World, **payload: Any) -> dict[str, Any]:
    return {
        "contactId": str(world.contact.pk),
        "schemaId": "review",
        "payload": {"rating": 4, **payload},
    }


IDEMPOTENCY_KEY = {"Idempotency-Key": "replayed"}


@dataclass(frozen=True)
class Case:
    operation: str  # the route's operationId (under /api/v2/) in our OpenAPI document
    call: Callable[[World], Any]
    status: int
    shape: Shape | None  # None: no body at all


CASES = {
    "list schemas": Case(
        "interactionschemas_list",
        lambda w: w.get("interactionschemas"),
        200,
        ListOf(INTERACTION_SCHEMA_WITHOUT_JSON_MODEL),
    ),
    "create a schema": Case(
        "interactionschemas_create",
        lambda w: w.post("interactionschemas", REUSE_SCHEMA),
        200,
        INTERACTION_SCHEMA_RESPONSE,
    ),
    "read a schema": Case(
        "interactionschemas_retrieve",
        lambda w: w.get("interactionschemas/review"),
        200,
        INTERACTION_SCHEMA_MODEL,
    ),
    "delete a schema": Case(
        "interactionschemas_delete", lambda w: w.delete("interactionschemas/review"), 204, None
    ),
    "delete a schema by query": Case(
        "interactionschemas_delete_by_query",
        lambda w: w.delete("interactionschemas?interactionSchemaId=review"),
        204,
        None,
    ),
    "send an interaction": Case(
        "interactions_create",
        lambda w: w.post("interactions", interaction_document(w)),
        200,
        INTERACTION_CREATE_RESPONSE,
    ),
    "send an interaction with dropped properties": Case(
        "interactions_create",
        lambda w: w.post("interactions", interaction_document(w, title="x" * 30, colour="red")),
        200,
        INTERACTION_CREATE_RESPONSE,
    ),
    "replay an interaction with dropped properties": Case(
        "interactions_create",
        lambda w: [
            w.post(
                "interactions", interaction_document(w, colour="red"), **{"Idempotency-Key": "k"}
            )
            for _ in range(2)
        ][-1],
        200,
        INTERACTION_CREATE_RESPONSE,
    ),
    "page through interactions": Case(
        "interactions_list",
        lambda w: w.get(f"interactions?contactId={w.contact.pk}&schemaId=review"),
        200,
        INTERACTION_PAGE,
    ),
    "read an interaction by query": Case(
        "interactions_list",
        lambda w: w.get(f"interactions?interactionId={w.interactions[0].pk}"),
        200,
        INTERACTION_MODEL,
    ),
    "read an interaction": Case(
        "interactions_retrieve",
        lambda w: w.get(f"interactions/{w.interactions[0].pk}"),
        200,
        INTERACTION_MODEL,
    ),
    "delete an interaction": Case(
        "interactions_delete",
        lambda w: w.delete(f"interactions/{w.interactions[0].pk}"),
        204,
        None,
    ),
    "delete an interaction by query": Case(
        "interactions_delete_by_query",
        lambda w: w.delete(f"interactions?interactionId={w.interactions[0].pk}"),
        204,
        None,
    ),
    "create a contact": Case(
        "contacts_create",
        lambda w: w.post("contacts", {"email": "ann@example.com", "loyaltyLevel": "gold"}),
        201,
        CONTACT,
    ),
    "read a contact": Case(
        "contacts_retrieve", lambda w: w.get(f"contacts/{w.contact.pk}"), 200, CONTACT
    ),
    "erase a contact": Case(
        "contacts_delete", lambda w: w.delete(f"contacts/{w.contact.pk}"), 204, None
    ),
    "count contacts": Case("contacts_count", lambda w: w.get("contacts/count"), 200, Scalar(int)),
    "find a contact's id": Case(
        "contacts_id", lambda w: w.get(f"contacts/id?email={w.contact.email}"), 200, Scalar(str)
    ),
}


@pytest.fixture
def world(alice: Persona, contact: Any, request: Any, monkeypatch: Any) -> World:
    # Pages of one interaction, so that the listing carries a next link too.
    monkeypatch.setattr("interactions.api.views.interactions.PAGE_SIZE", 1)
    schema = make_schema(alice.tenant)
    interactions = [make_interaction(contact, schema, payload={"rating": n}) for n in (3, 5)]
    return World(alice, request.param, contact, interactions)


@pytest.mark.parametrize("world", VERSIONS, indirect=True)
@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_every_engage_route_answers_a_body_its_engage_model_parses(
    world: World, case: Case
) -> None:
    response = case.call(world)
    assert response.status_code == case.status, response.content
    if case.shape is None:
        assert response.content == b""
    else:
        case.shape.parse(response.json())


def test_the_listing_checked_above_has_a_next_link(alice: Persona, contact: Any) -> None:
    schema = make_schema(alice.tenant)
    for rating in (3, 5):
        make_interaction(contact, schema, payload={"rating": rating})
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("interactions.api.views.interactions.PAGE_SIZE", 1)
        page = alice.get(f"interactions?contactId={contact.pk}&schemaId=review").json()
    assert [link["rel"] for link in page["links"]] == ["self", "next"]


def test_every_route_engage_also_has_is_checked_above() -> None:
    """Routes not tagged extension in our OpenAPI document are Engage's: each needs a case."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    engage_operations = {
        operation["operationId"]
        for path, operations in document["paths"].items()
        if path.startswith("/api/v2/")
        for operation in operations.values()
        if "extension" not in operation.get("tags", [])
    }
    assert engage_operations == {case.operation for case in CASES.values()}


def test_the_strict_models_refuse_an_extra_and_a_missing_key() -> None:
    body = {"id": "x", "self": {"contactId": "c", "href": "h", "created": "t"}}
    INTERACTION_CREATE_RESPONSE.parse(body)
    with pytest.raises(StrictModelError, match="has no key droppedProperties"):
        INTERACTION_CREATE_RESPONSE.parse({**body, "droppedProperties": []})
    with pytest.raises(StrictModelError, match="needs href"):
        INTERACTION_CREATE_RESPONSE.parse({**body, "self": {"contactId": "c", "created": "t"}})
    with pytest.raises(StrictModelError, match=r"links\[0\]: Link has no key title"):
        INTERACTION_PAGE.parse(
            {"links": [{"href": "h", "method": "GET", "rel": "self", "title": "t"}], "items": []}
        )


# --- Engage-Dropped-Properties --------------------------------------------------------------------


@pytest.fixture
def reuse(alice: Persona) -> None:
    assert alice.post("interactionschemas", REUSE_SCHEMA).status_code == 200


def reuse_document(contact: Any, **payload: Any) -> dict[str, Any]:
    return {
        "contactId": str(contact.pk),
        "schemaId": "Reuse-Spring-2023",
        "payload": {"name": "Reused Item", **payload},
    }


# The payload of the documentation's example, and one more property the schema doesn't declare.
SEVERAL = {"price": "a lot", "created": "2011-11-03T20:00:11", "colour": "red"}
SEVERAL_DROPPED = [
    ("payload.price", "type"),
    ("payload.created", "format"),
    ("payload.colour", "unknown"),
]
SEVERAL_HEADER = "payload.price, payload.created, payload.colour"


@pytest.mark.usefixtures("reuse")
@pytest.mark.parametrize("version", VERSIONS)
def test_nothing_dropped_no_header(alice: Persona, contact: Any, version: str) -> None:
    response = alice.client.post(
        alice.url("interactions", version), reuse_document(contact, price=100), format="json"
    )
    assert response.status_code == 200
    assert HEADER not in response
    INTERACTION_CREATE_RESPONSE.parse(response.json())


@pytest.mark.usefixtures("reuse")
@pytest.mark.parametrize("version", VERSIONS)
def test_several_dropped_are_named_in_the_header_and_the_body_stays_engages(
    alice: Persona, contact: Any, version: str
) -> None:
    response = alice.client.post(
        alice.url("interactions", version), reuse_document(contact, **SEVERAL), format="json"
    )
    assert response.status_code == 200
    assert response[HEADER] == SEVERAL_HEADER
    body = response.json()
    INTERACTION_CREATE_RESPONSE.parse(body)
    assert alice.get(f"interactions/{body['id']}").json()["payload"] == {"name": "Reused Item"}


@pytest.mark.usefixtures("reuse")
@pytest.mark.parametrize("version", VERSIONS)
def test_include_dropped_properties_adds_the_full_list_to_the_body(
    alice: Persona, contact: Any, version: str
) -> None:
    response = alice.client.post(
        alice.url("interactions?include=droppedProperties", version),
        reuse_document(contact, **SEVERAL),
        format="json",
    )
    assert response.status_code == 200
    assert response[HEADER] == SEVERAL_HEADER
    body = response.json()
    assert list(body) == ["id", "self", "droppedProperties"]
    assert [(item["field"], item["code"]) for item in body["droppedProperties"]] == SEVERAL_DROPPED
    assert all(set(item) == {"field", "code", "message"} for item in body["droppedProperties"])


@pytest.mark.usefixtures("reuse")
def test_include_with_nothing_dropped_gives_an_empty_list_and_no_header(
    alice: Persona, contact: Any
) -> None:
    response = alice.post("interactions?include=droppedProperties", reuse_document(contact))
    assert response.status_code == 200
    assert HEADER not in response
    assert response.json()["droppedProperties"] == []


@pytest.mark.usefixtures("reuse")
@pytest.mark.parametrize("include", ["dropped", "droppedProperties,payload", "DROPPEDPROPERTIES"])
def test_include_of_anything_else_is_refused_and_nothing_stored(
    alice: Persona, contact: Any, include: str
) -> None:
    response = alice.post(f"interactions?include={include}", reuse_document(contact, **SEVERAL))
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "include", "code": "enum", "message": "must be droppedProperties"}
    ]
    assert Interaction.objects.count() == 0


@pytest.mark.usefixtures("reuse")
@pytest.mark.parametrize("version", VERSIONS)
def test_a_replay_with_the_idempotency_key_has_the_same_header(
    alice: Persona, contact: Any, version: str
) -> None:
    def send(path: str) -> Any:
        return alice.client.post(
            alice.url(path, version),
            reuse_document(contact, **SEVERAL),
            format="json",
            headers={"Idempotency-Key": "reuse-1"},
        )

    first = send("interactions")
    replay = send("interactions")
    assert (replay.status_code, replay.json()) == (200, first.json())
    assert replay[HEADER] == first[HEADER] == SEVERAL_HEADER
    INTERACTION_CREATE_RESPONSE.parse(replay.json())
    # The record keeps the full list, so a retry that asks for it gets it from the first answer.
    asked = send("interactions?include=droppedProperties")
    assert asked[HEADER] == SEVERAL_HEADER
    assert asked.json() == {
        **first.json(),
        "droppedProperties": asked.json()["droppedProperties"],
    }
    assert [(d["field"], d["code"]) for d in asked.json()["droppedProperties"]] == SEVERAL_DROPPED
    assert Interaction.objects.count() == 1


@pytest.mark.usefixtures("reuse")
def test_a_replay_of_an_answer_with_nothing_dropped_has_no_header(
    alice: Persona, contact: Any
) -> None:
    headers = {"Idempotency-Key": "reuse-2"}
    first = alice.post("interactions", reuse_document(contact), headers=headers)
    replay = alice.post("interactions", reuse_document(contact), headers=headers)
    assert replay.json() == first.json()
    assert HEADER not in first
    assert HEADER not in replay


@pytest.mark.usefixtures("reuse")
def test_property_names_the_header_cannot_hold_are_percent_encoded(
    alice: Persona, contact: Any
) -> None:
    response = alice.post("interactions", reuse_document(contact, **{"a, b%ü": 1, "x\ny": 2}))
    assert response.status_code == 200
    assert response[HEADER] == "payload.a%2C%20b%25%C3%BC, payload.x%0Ay"


def test_a_long_list_is_cut_after_a_whole_field() -> None:
    dropped = [{"field": f"payload.property{n:04}", "code": "unknown"} for n in range(500)]
    header = dropped_properties_header(dropped)
    assert header is not None
    assert len(header) <= MAX_HEADER_CHARS
    fields = header.split(", ")
    assert fields[-1] == "..."
    assert fields[:-1] == [item["field"] for item in dropped[: len(fields) - 1]]
    # As many as fit: one more would not.
    assert len(header) + len(", payload.property0000") > MAX_HEADER_CHARS
    short = [{"field": "payload.a", "code": "type"}, {"field": "payload.a", "code": "format"}]
    assert dropped_properties_header(short) == "payload.a"
    assert dropped_properties_header([]) is None

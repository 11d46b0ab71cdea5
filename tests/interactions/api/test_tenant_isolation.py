"""Tenant B's key can't see, change or even detect tenant A's objects, on any route.

For every route and method of the API, B acting on A's object gets exactly what B gets acting on an
id nobody has, and nothing changes. A second test walks the URL resolver so that a route added
without an isolation case here breaks the build.
"""

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.urls import resolve

from interactions.models import Contact, Interaction, InteractionSchema
from interactions.services.tags import contact_tag_add
from tests.api_routes import api_routes, is_core_route
from tests.conftest import Persona
from tests.factories import REVIEW_JSON_SCHEMA, ContactFactory, make_interaction, make_schema

API_PREFIX = "api/v2/"
HTTP_METHODS = ("get", "post", "put", "patch", "delete")
UNKNOWN_SCHEMA_ID = "no-such-schema"


@dataclass
class World:
    """A's objects, which B goes after, and B's own, so that B's lists are not trivially empty."""

    alice: Persona
    bob: Persona
    a_contact: Contact
    a_schema: InteractionSchema
    a_interaction: Interaction
    a_refused_id: str
    b_contact: Contact
    b_schema: InteractionSchema


@dataclass(frozen=True)
class Call:
    """One request: path under the API prefix, an optional JSON body, and the id it names."""

    path: str
    body: Any = None
    # The id the request names. It is replaced by a placeholder in the answer, so that answers
    # that echo the id they were given compare equal.
    target: str = ""


@dataclass(frozen=True)
class Case:
    route: str  # the URL name
    method: str
    variant: str
    on_a: Callable[[World], Call]
    # What B does to an id nobody has; B's answer to ``on_a`` must be the same.
    on_nothing: Callable[[World], Call] | None = None
    # For collections, which have no id: what B must get (only B's own data).
    expected: Callable[[World], tuple[int, Any]] | None = None
    # Dotted paths whose values are generated per request (ids, timestamps) and so not compared.
    generated: tuple[str, ...] = ()
    # POSTs that create rows for B (a refused body, a schema, a contact) whichever id they name.
    creates: bool = False

    @property
    def id(self) -> str:
        return f"{self.method} {self.route} ({self.variant})"


def fresh_uuid(_world: World | None = None) -> str:
    return str(uuid.uuid4())


def query(path: str, **params: str) -> str:
    return f"{path}?{urlencode(params)}"


def valid_interaction(contact_id: str, schema_id: str) -> dict[str, Any]:
    return {"contactId": contact_id, "schemaId": schema_id, "payload": {"rating": 5}}


def schema_document(schema_id: str) -> dict[str, Any]:
    return {"id": schema_id, "displayName": "Mine now", "jsonSchema": REVIEW_JSON_SCHEMA}


def by_id(path: str, object_id: Callable[[World], str]) -> Callable[[World], Call]:
    """A call to ``path`` (with ``{id}``) on the object ``object_id`` picks out."""

    def call(world: World) -> Call:
        target = object_id(world)
        return Call(path.format(id=target), target=target)

    return call


def tag_call(contact_id: Callable[[World], str]) -> Callable[[World], Call]:
    def call(world: World) -> Call:
        target = contact_id(world)
        return Call(f"contacts/{target}/tags", {"name": "mallory"}, target=target)

    return call


def a_contact(world: World) -> str:
    return str(world.a_contact.pk)


def a_schema(world: World) -> str:
    return world.a_schema.schema_id


def a_interaction(world: World) -> str:
    return str(world.a_interaction.pk)


def a_refused(world: World) -> str:
    return world.a_refused_id


def unknown_schema(_world: World) -> str:
    return UNKNOWN_SCHEMA_ID


def contact_lookup(attribute: str, value: Callable[[World], str]) -> Callable[[World], Call]:
    def call(world: World) -> Call:
        return Call(query("contacts/id", **{attribute: value(world)}))

    return call


CASES = [
    Case(
        "ping",
        "GET",
        "answers with B's own tenant",
        on_a=lambda w: Call("ping"),
        expected=lambda w: (200, {"tenant": w.bob.tenant.slug}),
    ),
    # --- Interaction schemas ---
    Case(
        "interactionschema-collection",
        "GET",
        "lists only B's schemas",
        on_a=lambda w: Call("interactionschemas"),
        expected=lambda w: (200, [{"id": "b-schema", "displayName": "Bob's reviews"}]),
    ),
    Case(
        "interactionschema-collection",
        "POST",
        "A's schema id is free for B",
        on_a=lambda w: Call("interactionschemas", schema_document(a_schema(w)), a_schema(w)),
        on_nothing=lambda w: Call("interactionschemas", schema_document("fresh"), "fresh"),
        generated=("self.created",),
        creates=True,
    ),
    Case(
        "interactionschema-collection",
        "DELETE",
        "?interactionSchemaId= of A's schema",
        on_a=lambda w: Call(query("interactionschemas", interactionSchemaId=a_schema(w))),
        on_nothing=lambda w: Call(query("interactionschemas", interactionSchemaId="nothing")),
    ),
    Case(
        "interactionschema-detail",
        "GET",
        "A's schema",
        on_a=by_id("interactionschemas/{id}", a_schema),
        on_nothing=by_id("interactionschemas/{id}", unknown_schema),
    ),
    Case(
        "interactionschema-detail",
        "DELETE",
        "A's schema",
        on_a=by_id("interactionschemas/{id}", a_schema),
        on_nothing=by_id("interactionschemas/{id}", unknown_schema),
    ),
    # --- Interactions ---
    Case(
        "interaction-collection",
        "GET",
        "A's contact and A's schema",
        on_a=lambda w: Call(query("interactions", contactId=a_contact(w), schemaId=a_schema(w))),
        on_nothing=lambda w: Call(
            query("interactions", contactId=fresh_uuid(), schemaId=UNKNOWN_SCHEMA_ID)
        ),
    ),
    Case(
        "interaction-collection",
        "GET",
        "B's contact and A's schema",
        on_a=lambda w: Call(
            query("interactions", contactId=str(w.b_contact.pk), schemaId=a_schema(w))
        ),
        on_nothing=lambda w: Call(
            query("interactions", contactId=str(w.b_contact.pk), schemaId=UNKNOWN_SCHEMA_ID)
        ),
    ),
    Case(
        "interaction-collection",
        "GET",
        "?interactionId= of A's interaction",
        on_a=lambda w: Call(query("interactions", interactionId=a_interaction(w))),
        on_nothing=lambda w: Call(query("interactions", interactionId=fresh_uuid())),
    ),
    Case(
        "interaction-collection",
        "POST",
        "naming A's contact and A's schema",
        on_a=lambda w: Call("interactions", valid_interaction(a_contact(w), a_schema(w))),
        on_nothing=lambda w: Call("interactions", valid_interaction(fresh_uuid(), "nothing")),
        generated=("refusedId",),
        creates=True,
    ),
    Case(
        "interaction-collection",
        "POST",
        "naming B's contact and A's schema",
        on_a=lambda w: Call("interactions", valid_interaction(str(w.b_contact.pk), a_schema(w))),
        on_nothing=lambda w: Call(
            "interactions", valid_interaction(str(w.b_contact.pk), UNKNOWN_SCHEMA_ID)
        ),
        generated=("refusedId",),
        creates=True,
    ),
    Case(
        "interaction-collection",
        "DELETE",
        "?interactionId= of A's interaction",
        on_a=lambda w: Call(query("interactions", interactionId=a_interaction(w))),
        on_nothing=lambda w: Call(query("interactions", interactionId=fresh_uuid())),
    ),
    Case(
        "interaction-detail",
        "GET",
        "A's interaction",
        on_a=by_id("interactions/{id}", a_interaction),
        on_nothing=by_id("interactions/{id}", fresh_uuid),
    ),
    Case(
        "interaction-detail",
        "DELETE",
        "A's interaction",
        on_a=by_id("interactions/{id}", a_interaction),
        on_nothing=by_id("interactions/{id}", fresh_uuid),
    ),
    Case(
        "interaction-raw",
        "GET",
        "A's interaction",
        on_a=by_id("interactions/{id}/raw", a_interaction),
        on_nothing=by_id("interactions/{id}/raw", fresh_uuid),
    ),
    Case(
        "refusedinteraction-detail",
        "GET",
        "A's refused body",
        on_a=by_id("refusedinteractions/{id}", a_refused),
        on_nothing=by_id("refusedinteractions/{id}", fresh_uuid),
    ),
    # --- Contacts ---
    Case(
        "contact-collection",
        "POST",
        "a body carrying A's contact id",
        on_a=lambda w: Call("contacts", {"id": a_contact(w), "firstName": "Mallory"}),
        on_nothing=lambda w: Call("contacts", {"id": fresh_uuid(), "firstName": "Mallory"}),
        generated=("id", "meta.createdOn", "meta.modifiedOn"),
        creates=True,
    ),
    Case(
        "contact-detail",
        "GET",
        "A's contact",
        on_a=by_id("contacts/{id}", a_contact),
        on_nothing=by_id("contacts/{id}", fresh_uuid),
    ),
    Case(
        "contact-detail",
        "DELETE",
        "A's contact",
        on_a=by_id("contacts/{id}", a_contact),
        on_nothing=by_id("contacts/{id}", fresh_uuid),
    ),
    Case(
        "contact-count",
        "GET",
        "counts only B's contacts",
        on_a=lambda w: Call("contacts/count"),
        expected=lambda w: (200, 1),
    ),
    Case(
        "contact-id",
        "GET",
        "?email= of A's contact",
        on_a=contact_lookup("email", lambda w: w.a_contact.email),
        on_nothing=contact_lookup("email", lambda w: "nobody@nowhere.example"),
    ),
    Case(
        "contact-id",
        "GET",
        "?mobilePhone= of A's contact",
        on_a=contact_lookup("mobilePhone", lambda w: w.a_contact.mobile_phone),
        on_nothing=contact_lookup("mobilePhone", lambda w: "+46700000999"),
    ),
    Case(
        "contact-id",
        "GET",
        "?externalId= of A's contact",
        on_a=contact_lookup("externalId", lambda w: w.a_contact.external_id),
        on_nothing=contact_lookup("externalId", lambda w: "nobody-0"),
    ),
    Case(
        "contact-tag-collection",
        "GET",
        "A's contact's tags",
        on_a=by_id("contacts/{id}/tags", a_contact),
        on_nothing=by_id("contacts/{id}/tags", fresh_uuid),
    ),
    Case(
        "contact-tag-collection",
        "POST",
        "a tag for A's contact",
        on_a=tag_call(a_contact),
        on_nothing=tag_call(fresh_uuid),
    ),
    Case(
        "contact-tag-detail",
        "DELETE",
        "A's contact's tag",
        on_a=by_id("contacts/{id}/tags/vip", a_contact),
        on_nothing=by_id("contacts/{id}/tags/vip", fresh_uuid),
    ),
]


@pytest.fixture
def world(alice: Persona, bob: Persona) -> World:
    a_contact = ContactFactory(
        tenant=alice.tenant,
        email="ann@alice.example",
        mobile_phone="+46700000001",
        external_id="ann-1",
    )
    a_schema = make_schema(alice.tenant, schema_id="a-schema", display_name="Alice's reviews")
    contact_tag_add(tenant=alice.tenant, contact=a_contact, name="vip")
    refused = alice.post("interactions", valid_interaction(str(a_contact.pk), UNKNOWN_SCHEMA_ID))
    assert refused.status_code == 404
    b_contact = ContactFactory(
        tenant=bob.tenant, email="ben@bob.example", mobile_phone="+46700000002", external_id="ben"
    )
    return World(
        alice=alice,
        bob=bob,
        a_contact=a_contact,
        a_schema=a_schema,
        a_interaction=make_interaction(a_contact, a_schema),
        a_refused_id=refused.json()["refusedId"],
        b_contact=b_contact,
        b_schema=make_schema(bob.tenant, schema_id="b-schema", display_name="Bob's reviews"),
    )


def send(persona: Persona, method: str, call: Call) -> tuple[int, Any]:
    url = persona.url(call.path)
    if method == "POST":
        response = persona.client.post(url, call.body, format="json")
    else:
        response = getattr(persona.client, method.lower())(url)
    if not response.content:
        return response.status_code, None
    text = response.content.decode()
    if call.target:
        text = text.replace(call.target, "<target>")
    return response.status_code, json.loads(text)


def without_generated(body: Any, paths: tuple[str, ...]) -> Any:
    """``body`` with the value at each dotted path replaced by a marker (which must be there)."""
    body = json.loads(json.dumps(body))
    for path in paths:
        *parents, last = path.split(".")
        node = body
        for part in parents:
            node = node[part]
        assert last in node, f"{path} is missing from {body}"
        node[last] = "<generated>"
    return body


def row_counts() -> dict[str, int]:
    """How many rows each model of the project has."""
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {label: after[label] - before[label] for label in after if after[label] != before[label]}


def what_a_sees(world: World) -> list[tuple[int, Any]]:
    """Everything A can read about its objects, as A reads it."""
    a = world.alice
    paths = [
        f"contacts/{world.a_contact.pk}",
        "contacts/count",
        f"interactionschemas/{world.a_schema.schema_id}",
        "interactionschemas",
        f"interactions/{world.a_interaction.pk}",
        query("interactions", contactId=str(world.a_contact.pk), schemaId="a-schema"),
        f"refusedinteractions/{world.a_refused_id}",
    ]
    seen = [(r.status_code, r.json()) for r in (a.get(path) for path in paths)]
    raw = a.get(f"interactions/{world.a_interaction.pk}/raw")
    return [*seen, (raw.status_code, raw.content)]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_b_gets_the_same_answer_for_a_s_objects_as_for_nothing_and_changes_nothing(
    world: World, case: Case
) -> None:
    on_a = case.on_a(world)
    assert resolve(world.bob.url(on_a.path).split("?")[0]).url_name == case.route
    a_before = what_a_sees(world)
    assert all(status == 200 for status, _ in a_before)

    counts_before = row_counts()
    if case.on_nothing is not None:
        expected_status, expected_body = send(world.bob, case.method, case.on_nothing(world))
    else:
        assert case.expected is not None
        expected_status, expected_body = case.expected(world)
    counts_after_nothing = row_counts()
    status, body = send(world.bob, case.method, on_a)
    counts_after_a = row_counts()

    assert status == expected_status
    assert without_generated(body, case.generated) == without_generated(
        expected_body, case.generated
    )
    # Naming A's object changes exactly what naming nothing changes...
    assert delta(counts_after_nothing, counts_after_a) == delta(counts_before, counts_after_nothing)
    if not case.creates:
        # ...which, for everything but a POST that creates B's own rows, is nothing at all.
        assert delta(counts_before, counts_after_a) == {}
    # And A still sees everything it had, exactly as before.
    assert what_a_sees(world) == a_before


def test_every_route_and_method_of_the_api_has_an_isolation_case() -> None:
    routes = {(name, method) for name, method in api_routes() if is_core_route(name)}
    covered = {(case.route, case.method) for case in CASES}
    assert routes - covered == set(), "add a case to CASES for each of these"
    assert covered - routes == set(), "these cases name routes that no longer exist"


def test_b_can_t_continue_a_s_listing_with_its_token_nor_a_with_b_s(
    world: World, alice: Persona, bob: Persona
) -> None:
    b_contact, b_schema = world.b_contact, world.b_schema
    for _ in range(51):
        make_interaction(world.a_contact, world.a_schema)
        make_interaction(b_contact, b_schema)
    a_page = alice.get(
        query("interactions", contactId=str(world.a_contact.pk), schemaId="a-schema")
    ).json()
    b_page = bob.get(query("interactions", contactId=str(b_contact.pk), schemaId="b-schema")).json()
    a_next = next(link["href"] for link in a_page["links"] if link["rel"] == "next")
    b_next = next(link["href"] for link in b_page["links"] if link["rel"] == "next")
    a_token = a_next.split("continuation=")[1]
    b_token = b_next.split("continuation=")[1]
    invalid = {
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

    on_b_listing = bob.client.get(
        f"/api/v2/interactions?contactId={b_contact.pk}&schemaId=b-schema&continuation={a_token}"
    )
    assert on_b_listing.status_code == 400
    assert on_b_listing.json() == invalid
    on_a_listing = alice.client.get(
        f"/api/v2/interactions?contactId={world.a_contact.pk}&schemaId=a-schema"
        f"&continuation={b_token}"
    )
    assert on_a_listing.status_code == 400
    assert on_a_listing.json() == invalid
    # Each tenant's own token still works (A has one more: the world's own interaction).
    assert len(alice.client.get(a_next).json()["items"]) == 2
    assert len(bob.client.get(b_next).json()["items"]) == 1


def test_tenants_may_use_the_same_schema_id_independently(
    alice: Persona, bob: Persona, contact: Contact
) -> None:
    a_document = {"id": "review", "displayName": "Alice's", "jsonSchema": REVIEW_JSON_SCHEMA}
    b_json_schema = {"type": "object", "properties": {"stars": {"type": "number"}}}
    b_document = {"id": "review", "displayName": "Bob's", "jsonSchema": b_json_schema}
    assert alice.post("interactionschemas", a_document).status_code == 200
    assert bob.post("interactionschemas", b_document).status_code == 200
    b_contact = ContactFactory(tenant=bob.tenant)
    a_interaction = alice.post("interactions", valid_interaction(str(contact.pk), "review"))
    b_interaction = bob.post(
        "interactions",
        {"contactId": str(b_contact.pk), "schemaId": "review", "payload": {"stars": 4.5}},
    )
    assert a_interaction.status_code == b_interaction.status_code == 200

    assert alice.get("interactionschemas/review").json() == a_document
    assert bob.get("interactionschemas/review").json() == b_document
    assert bob.get(f"interactions/{a_interaction.json()['id']}").status_code == 404

    assert bob.delete("interactionschemas/review").status_code == 204
    assert alice.get("interactionschemas/review").json() == a_document
    assert alice.get(f"interactions/{a_interaction.json()['id']}").status_code == 200
    assert bob.get(f"interactions/{b_interaction.json()['id']}").status_code == 404
    assert alice.get("interactionschemas").json() == [{"id": "review", "displayName": "Alice's"}]
    assert bob.get("interactionschemas").json() == []

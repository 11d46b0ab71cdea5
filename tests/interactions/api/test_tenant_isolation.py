"""Tenant B's key can't see, change or even detect tenant A's objects, on any route of the core,
nor can B's admins in the admin site.

For every route and method of the core's API, B acting on A's object gets exactly what B gets
acting on an id nobody has, and nothing changes (the harness is ``tests.isolation``). A second
test walks the URL resolver so that a route added without an isolation case here breaks the build.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest

from interactions.models import Contact, EventDelivery, Interaction, InteractionSchema
from interactions.services.tags import contact_tag_add
from tests.conftest import Persona
from tests.factories import REVIEW_JSON_SCHEMA, ContactFactory, make_interaction, make_schema
from tests.isolation import (
    ADMIN,
    ADMIN_NAMESPACE,
    Args,
    Case,
    TwoTenants,
    assert_routes_covered,
    by_id,
    case_ids,
    case_run,
    plain,
)

UNKNOWN_SCHEMA_ID = "no-such-schema"


@dataclass
class World(TwoTenants):
    """A's objects, which B goes after, and B's own, so that B's lists are not trivially empty."""

    a_contact: Contact
    a_schema: InteractionSchema
    a_interaction: Interaction
    a_refused_id: str
    a_delivery_id: str
    a_product_sku: str
    b_contact: Contact
    b_schema: InteractionSchema


def a_product_sku(world: World) -> str:
    return world.a_product_sku


def no_product_sku(_world: World) -> str:
    return "no-such-sku"


def product_named(sku: Callable[[World], str]) -> Callable[[World], Args]:
    """A product body naming the SKU ``sku`` picks out (the answers echo it)."""

    def args(world: World) -> Args:
        value = sku(world)
        return Args(body={"sku": value, "name": "Mallory's"}, target=value)

    return args


def products_bulk_naming(sku: Callable[[World], str]) -> Callable[[World], Args]:
    def args(world: World) -> Args:
        value = sku(world)
        return Args(body={"products": [{"sku": value, "name": "Mallory's"}]}, target=value)

    return args


PRODUCT_NOT_FOUND = {
    "statusCode": 404,
    "errorCode": "ProductNotFound",
    "message": "No product with this SKU.",
}
BULK_NAME_REFUSED = {
    "statusCode": 400,
    "errorCode": "InvalidProduct",
    "message": "The product is not valid.",
    "errors": [{"field": "name", "code": "minLength", "message": "must not be empty"}],
}


def fresh_uuid(_world: World | None = None) -> str:
    return str(uuid.uuid4())


def query(path: str, **params: str) -> str:
    return f"{path}?{urlencode(params)}"


def valid_interaction(contact_id: str, schema_id: str) -> dict[str, Any]:
    return {"contactId": contact_id, "schemaId": schema_id, "payload": {"rating": 5}}


def batch(*items: dict[str, Any]) -> dict[str, Any]:
    return {"interactions": list(items)}


def schema_document(schema_id: str) -> dict[str, Any]:
    return {"id": schema_id, "displayName": "Mine now", "jsonSchema": REVIEW_JSON_SCHEMA}


def a_contact(world: World) -> str:
    return str(world.a_contact.pk)


def a_schema(world: World) -> str:
    return world.a_schema.schema_id


def a_interaction(world: World) -> str:
    return str(world.a_interaction.pk)


def a_refused(world: World) -> str:
    return world.a_refused_id


def a_delivery(world: World) -> str:
    return world.a_delivery_id


def unknown_schema(_world: World) -> str:
    return UNKNOWN_SCHEMA_ID


def new_schema(schema_id: Callable[[World], str]) -> Callable[[World], Args]:
    def args(world: World) -> Args:
        target = schema_id(world)
        return Args(body=schema_document(target), target=target)

    return args


def contact_lookup(attribute: str, value: Callable[[World], str]) -> Callable[[World], Args]:
    return lambda world: Args(query={attribute: value(world)})


CASES: list[Case[World]] = [
    Case(
        "ping",
        "GET",
        variant="answers with B's own tenant",
        on_a=plain(),
        expected=lambda w: (200, {"tenant": w.bob.tenant.slug}),
    ),
    # --- Interaction schemas ---
    Case(
        "interactionschema-collection",
        "GET",
        variant="lists only B's schemas",
        on_a=plain(),
        expected=lambda w: (200, [{"id": "b-schema", "displayName": "Bob's reviews"}]),
    ),
    Case(
        "interactionschema-collection",
        "POST",
        variant="A's schema id is free for B",
        on_a=new_schema(a_schema),
        on_nothing=new_schema(lambda w: "fresh"),
        generated=("self.created",),
        creates=True,
    ),
    Case(
        "interactionschema-collection",
        "DELETE",
        variant="?interactionSchemaId= of A's schema",
        on_a=lambda w: Args(query={"interactionSchemaId": a_schema(w)}),
        on_nothing=plain(interactionSchemaId="nothing"),
    ),
    Case(
        "interactionschema-detail",
        "GET",
        variant="A's schema",
        on_a=by_id("schema_id", a_schema),
        on_nothing=by_id("schema_id", unknown_schema),
    ),
    Case(
        "interactionschema-detail",
        "DELETE",
        variant="A's schema",
        on_a=by_id("schema_id", a_schema),
        on_nothing=by_id("schema_id", unknown_schema),
    ),
    # --- Interactions ---
    Case(
        "interaction-collection",
        "GET",
        variant="A's contact and A's schema",
        on_a=lambda w: Args(query={"contactId": a_contact(w), "schemaId": a_schema(w)}),
        on_nothing=lambda w: Args(query={"contactId": fresh_uuid(), "schemaId": UNKNOWN_SCHEMA_ID}),
    ),
    Case(
        "interaction-collection",
        "GET",
        variant="B's contact and A's schema",
        on_a=lambda w: Args(query={"contactId": str(w.b_contact.pk), "schemaId": a_schema(w)}),
        on_nothing=lambda w: Args(
            query={"contactId": str(w.b_contact.pk), "schemaId": UNKNOWN_SCHEMA_ID}
        ),
    ),
    Case(
        "interaction-collection",
        "GET",
        variant="?interactionId= of A's interaction",
        on_a=lambda w: Args(query={"interactionId": a_interaction(w)}),
        on_nothing=lambda w: Args(query={"interactionId": fresh_uuid()}),
    ),
    Case(
        "interaction-collection",
        "POST",
        variant="naming A's contact and A's schema",
        on_a=lambda w: Args(body=valid_interaction(a_contact(w), a_schema(w))),
        on_nothing=lambda w: Args(body=valid_interaction(fresh_uuid(), "nothing")),
        generated=("refusedId",),
        creates=True,
    ),
    Case(
        "interaction-collection",
        "POST",
        variant="naming B's contact and A's schema",
        on_a=lambda w: Args(body=valid_interaction(str(w.b_contact.pk), a_schema(w))),
        on_nothing=lambda w: Args(body=valid_interaction(str(w.b_contact.pk), UNKNOWN_SCHEMA_ID)),
        generated=("refusedId",),
        creates=True,
    ),
    Case(
        "interaction-batch",
        "POST",
        variant="an item naming A's contact and A's schema",
        on_a=lambda w: Args(body=batch(valid_interaction(a_contact(w), a_schema(w)))),
        on_nothing=lambda w: Args(body=batch(valid_interaction(fresh_uuid(), "nothing"))),
        generated=("results.0.refusedId",),
        creates=True,
    ),
    Case(
        "interaction-batch",
        "POST",
        variant="an item naming B's contact and A's schema",
        on_a=lambda w: Args(body=batch(valid_interaction(str(w.b_contact.pk), a_schema(w)))),
        on_nothing=lambda w: Args(
            body=batch(valid_interaction(str(w.b_contact.pk), UNKNOWN_SCHEMA_ID))
        ),
        generated=("results.0.refusedId",),
        creates=True,
    ),
    Case(
        "interaction-collection",
        "DELETE",
        variant="?interactionId= of A's interaction",
        on_a=lambda w: Args(query={"interactionId": a_interaction(w)}),
        on_nothing=lambda w: Args(query={"interactionId": fresh_uuid()}),
    ),
    Case(
        "interaction-detail",
        "GET",
        variant="A's interaction",
        on_a=by_id("interaction_id", a_interaction),
        on_nothing=by_id("interaction_id", fresh_uuid),
    ),
    Case(
        "interaction-detail",
        "DELETE",
        variant="A's interaction",
        on_a=by_id("interaction_id", a_interaction),
        on_nothing=by_id("interaction_id", fresh_uuid),
    ),
    Case(
        "interaction-raw",
        "GET",
        variant="A's interaction",
        on_a=by_id("interaction_id", a_interaction),
        on_nothing=by_id("interaction_id", fresh_uuid),
    ),
    Case(
        "refusedinteraction-detail",
        "GET",
        variant="A's refused body",
        on_a=by_id("refused_id", a_refused),
        on_nothing=by_id("refused_id", fresh_uuid),
    ),
    # --- Contacts ---
    Case(
        "contact-collection",
        "POST",
        variant="a body carrying A's contact id",
        on_a=lambda w: Args(body={"id": a_contact(w), "firstName": "Mallory"}),
        on_nothing=lambda w: Args(body={"id": fresh_uuid(), "firstName": "Mallory"}),
        generated=("id", "meta.createdOn", "meta.modifiedOn"),
        creates=True,
    ),
    Case(
        "contact-detail",
        "GET",
        variant="A's contact",
        on_a=by_id("contact_id", a_contact),
        on_nothing=by_id("contact_id", fresh_uuid),
    ),
    Case(
        "contact-detail",
        "DELETE",
        variant="A's contact",
        on_a=by_id("contact_id", a_contact),
        on_nothing=by_id("contact_id", fresh_uuid),
    ),
    Case(
        "contact-count",
        "GET",
        variant="counts only B's contacts",
        on_a=plain(),
        expected=lambda w: (200, 1),
    ),
    Case(
        "contact-id",
        "GET",
        variant="?email= of A's contact",
        on_a=contact_lookup("email", lambda w: w.a_contact.email),
        on_nothing=contact_lookup("email", lambda w: "nobody@nowhere.example"),
    ),
    Case(
        "contact-id",
        "GET",
        variant="?mobilePhone= of A's contact",
        on_a=contact_lookup("mobilePhone", lambda w: w.a_contact.mobile_phone),
        on_nothing=contact_lookup("mobilePhone", lambda w: "+46700000999"),
    ),
    Case(
        "contact-id",
        "GET",
        variant="?externalId= of A's contact",
        on_a=contact_lookup("externalId", lambda w: w.a_contact.external_id),
        on_nothing=contact_lookup("externalId", lambda w: "nobody-0"),
    ),
    Case(
        "contact-tag-collection",
        "GET",
        variant="A's contact's tags",
        on_a=by_id("contact_id", a_contact),
        on_nothing=by_id("contact_id", fresh_uuid),
    ),
    Case(
        "contact-tag-collection",
        "POST",
        variant="a tag for A's contact",
        on_a=by_id("contact_id", a_contact, body={"name": "mallory"}),
        on_nothing=by_id("contact_id", fresh_uuid, body={"name": "mallory"}),
    ),
    Case(
        "contact-tag-detail",
        "DELETE",
        variant="A's contact's tag",
        on_a=by_id("contact_id", a_contact, name="vip"),
        on_nothing=by_id("contact_id", fresh_uuid, name="vip"),
    ),
    # --- Failed event deliveries ---
    Case(
        "event-failed-collection",
        "GET",
        variant="lists only B's failed deliveries",
        on_a=plain(),
        expected=lambda w: (
            200,
            {
                "links": [
                    {
                        "rel": "self",
                        "method": "GET",
                        "href": "http://testserver/api/v2/events/failed",
                    }
                ],
                "items": [],
            },
        ),
    ),
    Case(
        "event-failed-replay",
        "POST",
        variant="A's parked delivery",
        on_a=by_id("delivery_id", a_delivery, body={}),
        on_nothing=by_id("delivery_id", fresh_uuid, body={}),
    ),
    # --- Products ---
    Case(
        "product-collection",
        "GET",
        variant="lists only B's products",
        on_a=plain(),
        expected=lambda w: (
            200,
            {
                "links": [
                    {"rel": "self", "method": "GET", "href": "http://testserver/api/v2/products"}
                ],
                "items": [],
            },
        ),
    ),
    Case(
        "product-collection",
        "GET",
        variant="?q= A's SKU",
        on_a=lambda w: Args(query={"q": w.a_product_sku}, target=w.a_product_sku),
        on_nothing=lambda w: Args(query={"q": "no-such-sku"}, target="no-such-sku"),
    ),
    Case(
        "product-collection",
        "POST",
        variant="a product with A's SKU is B's own",
        on_a=product_named(a_product_sku),
        on_nothing=product_named(no_product_sku),
        generated=("created", "updated"),
        creates=True,
    ),
    Case(
        "product-bulk",
        "POST",
        variant="products with A's SKU are B's own",
        on_a=products_bulk_naming(a_product_sku),
        on_nothing=products_bulk_naming(no_product_sku),
        creates=True,
    ),
    Case(
        "product-detail",
        "GET",
        variant="A's product",
        on_a=by_id("sku", a_product_sku),
        on_nothing=by_id("sku", no_product_sku),
    ),
    Case(
        "product-detail",
        "PUT",
        variant="A's product's SKU makes B's own",
        on_a=by_id("sku", a_product_sku, body={"name": "Mallory's"}),
        on_nothing=by_id("sku", no_product_sku, body={"name": "Mallory's"}),
        generated=("created", "updated"),
        creates=True,
    ),
    Case(
        "product-detail",
        "DELETE",
        variant="A's product",
        on_a=by_id("sku", a_product_sku),
        on_nothing=by_id("sku", no_product_sku),
    ),
    # A's product whose SKU is "bulk", on the path it shares with the bulk upsert.
    Case(
        "product-bulk",
        "GET",
        variant='A\'s product "bulk"',
        on_a=plain(),
        expected=lambda w: (404, PRODUCT_NOT_FOUND),
    ),
    # A valid PUT makes B's own "bulk": test_a_product_named_bulk_is_each_tenant_s_own.
    Case(
        "product-bulk",
        "PUT",
        variant='A\'s product "bulk", a refused body',
        on_a=lambda w: Args(body={"name": ""}),
        expected=lambda w: (400, BULK_NAME_REFUSED),
    ),
    Case(
        "product-bulk",
        "DELETE",
        variant='A\'s product "bulk"',
        on_a=plain(),
        expected=lambda w: (404, PRODUCT_NOT_FOUND),
    ),
    # --- The admin site, as B's admin ---
    *(
        Case(
            f"interactions_{model}_{view}",
            "GET",
            variant=f"A's {model}",
            on_a=by_id("object_id", target),
            on_nothing=by_id("object_id", fresh_uuid),
            actor=ADMIN,
            namespace=ADMIN_NAMESPACE,
        )
        for model, target in [
            ("contact", a_contact),
            ("interaction", a_interaction),
            ("eventdelivery", a_delivery),
        ]
        for view in ("change", "delete", "history")
    ),
]


def parked_delivery(interaction: Interaction) -> EventDelivery:
    """A's event, parked after a subscriber raised on it."""
    return EventDelivery.objects.create(
        tenant=interaction.tenant,
        subscriber="somewhere.subscriber",
        status=EventDelivery.Status.PARKED,
        attempts=5,
        last_error="OverflowError: int too large to convert",
        event_id=1,
        kind="received",
        source="api",
        interaction_id=interaction.pk,
        contact_id=interaction.contact_id,
        schema_pk=interaction.schema_id,
        event_created_at=interaction.received_at,
    )


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
    a_interaction = make_interaction(a_contact, a_schema)
    assert alice.post("products", {"sku": "A-SKU-1", "name": "Alice's jacket"}).status_code == 201
    assert alice.post("products", {"sku": "bulk", "name": "Alice's bulk bag"}).status_code == 201
    return World(
        alice=alice,
        bob=bob,
        a_contact=a_contact,
        a_schema=a_schema,
        a_interaction=a_interaction,
        a_refused_id=refused.json()["refusedId"],
        a_delivery_id=str(parked_delivery(a_interaction).pk),
        a_product_sku="A-SKU-1",
        b_contact=b_contact,
        b_schema=make_schema(bob.tenant, schema_id="b-schema", display_name="Bob's reviews"),
    )


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
        "events/failed",
        f"products/{world.a_product_sku}",
        "products/bulk",
        "products",
    ]
    seen = [(r.status_code, r.json()) for r in (a.get(path) for path in paths)]
    raw = a.get(f"interactions/{world.a_interaction.pk}/raw")
    assert all(status == 200 for status, _ in [*seen, (raw.status_code, None)])
    return [*seen, (raw.status_code, raw.content)]


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_b_gets_the_same_answer_for_a_s_objects_as_for_nothing_and_changes_nothing(
    world: World, case: Case[World]
) -> None:
    case_run(world, case, what_a_sees)


def test_every_route_and_method_of_the_api_has_an_isolation_case() -> None:
    assert_routes_covered(CASES, app="interactions")


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


def test_tenants_may_use_the_same_sku_independently(alice: Persona, bob: Persona) -> None:
    assert alice.post("products", {"sku": "SKU-1", "name": "Alice's"}).status_code == 201
    assert bob.post("products", {"sku": "SKU-1", "name": "Bob's"}).status_code == 201
    bob.client.put("/api/v2/products/SKU-1", {"name": "Bob's II"}, format="json")

    assert bob.delete("products/SKU-1").status_code == 204
    assert alice.get("products/SKU-1").json()["name"] == "Alice's"
    assert bob.get("products/SKU-1").status_code == 404


def test_a_product_named_bulk_is_each_tenant_s_own(alice: Persona, bob: Persona) -> None:
    assert alice.post("products", {"sku": "bulk", "name": "Alice's"}).status_code == 201

    made = bob.client.put("/api/v2/products/bulk", {"name": "Bob's"}, format="json")

    assert made.status_code == 200
    assert made.json()["name"] == "Bob's"
    assert alice.get("products/bulk").json()["name"] == "Alice's"
    assert bob.delete("products/bulk").status_code == 204
    assert alice.get("products/bulk").json()["name"] == "Alice's"


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

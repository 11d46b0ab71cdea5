"""Segment rules on the facts of the products that interactions name through ``productSku``
(``product.brand``, ``product.category``, ``product.price``, ``product.price.currency``,
``product.attributes.<name>``): what they select, how they combine with the interaction's own
properties, that they follow the catalog as it changes, and what the checks refuse."""

from datetime import datetime, timedelta
from typing import Any

import pytest

from interactions.models import Contact, InteractionSchema, Tenant
from interactions.services.products import product_create, product_delete, product_put
from segments.builder import segment_builder_choices
from segments.rules.checks import rule_problems
from segments.selectors import rule_contacts, rule_member_ids, segment_catalog
from segments.services.membership import segment_refresh
from segments.services.segments import segment_create
from tests.conftest import Persona
from tests.factories import ContactFactory, make_interaction, make_schema
from tests.segments.conftest import make_purchase_schema

DAY = timedelta(days=1)
REVIEW = {
    "type": "object",
    "properties": {
        "productSku": {"type": "string"},
        "rating": {"type": "integer", "addToSegmentation": True},
    },
}
JACKET = {
    "sku": "JKT-1",
    "name": "Storm jacket",
    "brand": "Nordkap",
    "categories": ["Outerwear", "Jackets"],
    "price": {"amount": 1299.0, "currency": "SEK"},
    "attributes": {"color": "red", "size": 42, "waterproof": True},
}
PARKA = {
    "sku": "PRK-1",
    "name": "Parka",
    "brand": "Fjell",
    "categories": ["Outerwear", "Coats", "Parkas"],
    "price": {"amount": 149.5, "currency": "EUR"},
    "attributes": {"color": "Red", "size": "XL"},
}
SNEAKER = {
    "sku": "SNK-1",
    "name": "Runner",
    "brand": "Nordkap",
    "categories": ["Footwear"],
    "price": {"amount": 899.0, "currency": "SEK"},
}
BARE = {"sku": "BARE-1", "name": "A product with no brand, category, price or attributes"}


def reviews_of(rule_where: list[dict[str, Any]], **rule: Any) -> dict[str, Any]:
    return {
        "type": "count",
        "schemaId": "review",
        "count": {"op": ">=", "value": 1},
        "where": rule_where,
        **rule,
    }


@pytest.fixture
def review(alice: Persona) -> InteractionSchema:
    return make_schema(alice.tenant, schema_id="review", json_schema=REVIEW)


@pytest.fixture
def catalog_of_four(alice: Persona) -> None:
    for product in (JACKET, PARKA, SNEAKER, BARE):
        product_create(tenant=alice.tenant, document=product)


def person(tenant: Tenant, name: str) -> Contact:
    return ContactFactory(tenant=tenant, first_name=name)


def reviewed(
    contact: Contact, schema: InteractionSchema, sku: str | None, age: timedelta, rating: int = 4
) -> None:
    payload: dict[str, Any] = {"rating": rating}
    if sku is not None:
        payload["productSku"] = sku
    make_interaction(contact, schema, payload, created_date=datetime.now().astimezone() - age)


def selected(persona: Persona, rule: dict[str, Any]) -> set[str]:
    catalog = segment_catalog(tenant=persona.tenant)
    assert rule_problems(rule, catalog=catalog) == []
    names = {c.first_name for c in rule_contacts(tenant=persona.tenant, rule=rule, catalog=catalog)}
    ids = rule_member_ids(tenant=persona.tenant, rule=rule, catalog=catalog)
    assert set(ids.values_list("member_id", flat=True)) == set(
        Contact.objects.filter(tenant=persona.tenant, first_name__in=names).values_list(
            "pk", flat=True
        )
    )
    return names


@pytest.mark.usefixtures("catalog_of_four")
def test_at_least_two_reviews_of_products_in_outerwear_in_the_last_90_days(
    alice: Persona, review: InteractionSchema
) -> None:
    reviewed(ann := person(alice.tenant, "ann"), review, "JKT-1", 3 * DAY)
    reviewed(ann, review, "PRK-1", 80 * DAY)
    reviewed(ben := person(alice.tenant, "ben"), review, "JKT-1", 3 * DAY)
    reviewed(ben, review, "SNK-1", 4 * DAY)  # footwear
    reviewed(cal := person(alice.tenant, "cal"), review, "JKT-1", 3 * DAY)
    reviewed(cal, review, "JKT-1", 100 * DAY)  # out of the window
    reviewed(dan := person(alice.tenant, "dan"), review, "NO-SUCH-SKU", 3 * DAY)
    reviewed(dan, review, "NO-SUCH-SKU", 4 * DAY)  # names no product
    reviewed(eve := person(alice.tenant, "eve"), review, None, 3 * DAY)
    reviewed(eve, review, None, 4 * DAY)  # names none at all

    rule = reviews_of(
        [{"property": "product.category", "op": "eq", "value": "Outerwear"}],
        count={"op": ">=", "value": 2},
        window={"type": "lastDays", "days": 90},
    )
    assert selected(alice, rule) == {"ann"}


@pytest.mark.usefixtures("catalog_of_four")
@pytest.mark.parametrize(
    ("where", "expected"),
    [
        # A category at any level of the path, compared case-sensitively...
        ({"property": "product.category", "op": "eq", "value": "Jackets"}, {"jacket"}),
        ({"property": "product.category", "op": "eq", "value": "Parkas"}, {"parka"}),
        ({"property": "product.category", "op": "eq", "value": "outerwear"}, set()),
        (
            {"property": "product.category", "op": "in", "values": ["Coats", "Footwear"]},
            {"parka", "sneaker"},
        ),
        # ... except contains, which ignores case; ne: a path none of whose levels is the value.
        (
            {"property": "product.category", "op": "contains", "value": "WEAR"},
            {"jacket", "parka", "sneaker"},
        ),
        ({"property": "product.category", "op": "ne", "value": "Outerwear"}, {"sneaker"}),
        ({"property": "product.brand", "op": "eq", "value": "Nordkap"}, {"jacket", "sneaker"}),
        ({"property": "product.brand", "op": "ne", "value": "Nordkap"}, {"parka"}),
        ({"property": "product.brand", "op": "contains", "value": "fj"}, {"parka"}),
        # The amount alone; the currency is a condition of its own.
        ({"property": "product.price", "op": "gte", "value": 899}, {"jacket", "sneaker"}),
        (
            {"property": "product.price", "op": "between", "min": 100, "max": 900},
            {"parka", "sneaker"},
        ),
        ({"property": "product.price", "op": "eq", "value": 149.5}, {"parka"}),
        ({"property": "product.price", "op": "ne", "value": 149.5}, {"jacket", "sneaker"}),
        ({"property": "product.price.currency", "op": "eq", "value": "EUR"}, {"parka"}),
        ({"property": "product.price.currency", "op": "ne", "value": "EUR"}, {"jacket", "sneaker"}),
        # An attribute compares with values of its own type.
        ({"property": "product.attributes.color", "op": "eq", "value": "red"}, {"jacket"}),
        (
            {"property": "product.attributes.color", "op": "contains", "value": "RED"},
            {"jacket", "parka"},
        ),
        ({"property": "product.attributes.size", "op": "gt", "value": 40}, {"jacket"}),
        ({"property": "product.attributes.size", "op": "eq", "value": "XL"}, {"parka"}),
        (
            {"property": "product.attributes.size", "op": "in", "values": [42, "XL"]},
            {"jacket", "parka"},
        ),
        ({"property": "product.attributes.size", "op": "ne", "value": 42}, {"parka"}),
        ({"property": "product.attributes.waterproof", "op": "isTrue"}, {"jacket"}),
        ({"property": "product.attributes.waterproof", "op": "isFalse"}, set()),
        ({"property": "product.attributes.size", "op": "eq", "value": 1}, set()),
    ],
)
def test_each_product_fact_and_operator(
    alice: Persona, review: InteractionSchema, where: dict[str, Any], expected: set[str]
) -> None:
    """One reviewer per product (bare: the product without brand, category, price or
    attributes, which no condition matches, ``ne`` included)."""
    for name, sku in (
        ("jacket", "JKT-1"),
        ("parka", "PRK-1"),
        ("sneaker", "SNK-1"),
        ("bare", "BARE-1"),
    ):
        reviewed(person(alice.tenant, name), review, sku, DAY)
    assert selected(alice, reviews_of([where])) == expected


@pytest.mark.usefixtures("catalog_of_four")
def test_product_conditions_and_the_interaction_s_own_properties_hold_on_the_same_interaction(
    alice: Persona, review: InteractionSchema
) -> None:
    reviewed(ann := person(alice.tenant, "ann"), review, "JKT-1", DAY, rating=5)
    # ben gave 5 to a sneaker and 1 to the jacket: no single interaction meets both.
    reviewed(ben := person(alice.tenant, "ben"), review, "SNK-1", DAY, rating=5)
    reviewed(ben, review, "JKT-1", DAY, rating=1)
    rule = reviews_of(
        [
            {"property": "rating", "op": "gte", "value": 4},
            {"property": "product.brand", "op": "eq", "value": "Nordkap"},
            {"property": "product.category", "op": "eq", "value": "Outerwear"},
        ]
    )
    assert selected(alice, rule) == {"ann"}
    assert ann.first_name == "ann"


def test_a_product_arriving_after_the_interactions_brings_its_reviewers_in_at_the_next_refresh(
    alice: Persona, review: InteractionSchema
) -> None:
    reviewed(ann := person(alice.tenant, "ann"), review, "JKT-1", DAY)
    segment = segment_create(
        tenant=alice.tenant,
        name="Outerwear reviewers",
        rule=reviews_of([{"property": "product.category", "op": "eq", "value": "Outerwear"}]),
    )
    assert segment_refresh(segment=segment) == 0

    product_create(tenant=alice.tenant, document=JACKET)
    assert segment_refresh(segment=segment) == 1
    assert segment.memberships.filter(contact=ann, exited_at__isnull=True).exists()


def test_a_changed_or_deleted_product_changes_the_membership(
    alice: Persona, review: InteractionSchema, catalog_of_four: None
) -> None:
    reviewed(person(alice.tenant, "ann"), review, "JKT-1", DAY)
    reviewed(person(alice.tenant, "ben"), review, "SNK-1", DAY)
    rule = reviews_of([{"property": "product.category", "op": "eq", "value": "Outerwear"}])
    assert selected(alice, rule) == {"ann"}

    product_put(
        tenant=alice.tenant, sku="SNK-1", document={**SNEAKER, "categories": ["Outerwear", "Boots"]}
    )
    product_put(tenant=alice.tenant, sku="JKT-1", document={**JACKET, "categories": ["Sale"]})
    assert selected(alice, rule) == {"ben"}

    product_delete(tenant=alice.tenant, sku="SNK-1")
    assert selected(alice, rule) == set()


def test_another_tenant_s_catalog_is_not_read(
    alice: Persona, bob: Persona, review: InteractionSchema
) -> None:
    product_create(tenant=bob.tenant, document=JACKET)  # bob's, with alice's SKU
    reviewed(person(alice.tenant, "ann"), review, "JKT-1", DAY)
    rule = reviews_of([{"property": "product.brand", "op": "eq", "value": "Nordkap"}])
    assert selected(alice, rule) == set()


@pytest.mark.parametrize(
    ("where", "schema_id", "field", "message"),
    [
        (
            {"property": "product.brand", "op": "eq", "value": "Nordkap"},
            "purchase",
            "property",
            "'product.brand' needs a productSku property, and purchase has none",
        ),
        (
            {"property": "product.colour", "op": "eq", "value": "red"},
            "review",
            "property",
            "'product.colour' is not a product fact: use one of product.brand, "
            "product.category, product.price, product.price.currency, "
            "product.attributes.<name>",
        ),
        (
            {"property": "product.attributes.", "op": "eq", "value": "red"},
            "review",
            "property",
            "'product.attributes.' is not a product fact: use one of product.brand, "
            "product.category, product.price, product.price.currency, "
            "product.attributes.<name>",
        ),
        (
            {"property": "product.price", "op": "gte", "value": "100"},
            "review",
            "value",
            "must be a number",
        ),
        (
            {"property": "product.brand", "op": "eq", "value": 7},
            "review",
            "value",
            "must be a string",
        ),
        (
            {"property": "product.brand", "op": "gt", "value": "A"},
            "review",
            "op",
            "must be one of eq, ne, in, contains for product.brand",
        ),
        (
            {"property": "product.category", "op": "eq", "value": "Outerwear\nJackets"},
            "review",
            "value",
            "must be one category name, without a line break",
        ),
        (
            {"property": "product.attributes.size", "op": "lt", "value": "XL"},
            "review",
            "value",
            "must be a number",
        ),
        (
            {"property": "product.attributes.size", "op": "eq", "value": True},
            "review",
            "value",
            "must be a string or a number",
        ),
        (
            {"property": "product.attributes.size", "op": "contains", "value": 4},
            "review",
            "value",
            "must be a string",
        ),
    ],
)
def test_the_checks_refuse_product_conditions_that_cannot_hold(
    alice: Persona,
    review: InteractionSchema,
    where: dict[str, Any],
    schema_id: str,
    field: str,
    message: str,
) -> None:
    make_purchase_schema(alice.tenant)
    rule = {"type": "count", "schemaId": schema_id, "where": [where]}
    problems = rule_problems(rule, catalog=segment_catalog(tenant=alice.tenant))
    assert [(p.field, p.message) for p in problems] == [(f"rule.where.0.{field}", message)]


def test_the_builder_offers_product_facts_for_schemas_with_product_sku_only(
    alice: Persona, review: InteractionSchema, catalog_of_four: None
) -> None:
    make_purchase_schema(alice.tenant)
    choices = segment_builder_choices(tenant=alice.tenant)
    by_schema = {
        schema["id"]: {prop["name"]: prop for prop in schema["properties"]}
        for schema in choices["schemas"]
    }
    assert not any(name.startswith("product.") for name in by_schema["purchase"])
    offered = by_schema["review"]
    assert offered["product.brand"]["suggestions"] == ["Nordkap", "Fjell"]
    assert offered["product.category"]["suggestions"] == [
        "Outerwear",
        "Coats",
        "Footwear",
        "Jackets",
        "Parkas",
    ]
    assert offered["product.price"]["type"] == "number"
    assert offered["product.price.currency"]["suggestions"] == ["SEK", "EUR"]
    # Attributes as the catalog holds them: a name, its most common type, its string values.
    assert offered["product.attributes.color"]["suggestions"] == ["Red", "red"]
    assert offered["product.attributes.waterproof"]["type"] == "boolean"
    assert offered["product.attributes.size"]["type"] in ("number", "string")


@pytest.mark.usefixtures("catalog_of_four")
def test_first_and_last_of_the_interactions_about_products_meeting_conditions(
    alice: Persona, review: InteractionSchema
) -> None:
    """ "Last reviewed outerwear more than 60 days ago", whatever else was reviewed since."""
    reviewed(ann := person(alice.tenant, "ann"), review, "JKT-1", 90 * DAY)
    reviewed(ann, review, "SNK-1", DAY)  # footwear: not what the condition looks at
    reviewed(person(alice.tenant, "ben"), review, "PRK-1", 10 * DAY)
    reviewed(person(alice.tenant, "cal"), review, "SNK-1", 90 * DAY)
    outerwear = [{"property": "product.category", "op": "eq", "value": "Outerwear"}]
    last = {"type": "last", "schemaId": "review", "op": "moreThanDaysAgo", "days": 60}
    assert selected(alice, {**last, "where": outerwear}) == {"ann"}
    assert selected(alice, last) == {"cal"}
    first = {"type": "first", "schemaId": "review", "op": "withinLastDays", "days": 30}
    assert selected(alice, {**first, "where": outerwear}) == {"ben"}
    problems = rule_problems(
        {**first, "where": [{"property": "product.colour", "op": "eq", "value": "red"}]},
        catalog=segment_catalog(tenant=alice.tenant),
    )
    assert [p.field for p in problems] == ["rule.where.0.property"]

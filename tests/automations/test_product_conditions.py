"""Automations on the product of the triggering interaction: a "New specific interaction"
condition may name ``product.brand``, ``product.category`` (any level of the path),
``product.price`` (the amount), ``product.price.currency`` or ``product.attributes.<name>`` for a
schema with ``productSku``; it holds only when the SKU names an existing product that has the
field, with the product's facts when the trigger is judged. Webhook bodies carry the product and
email templates see it."""

from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from automations.models import Automation, AutomationRun
from automations.services.actions import run_document
from automations.services.automations import automation_create
from automations.services.runs import automation_run_execute
from automations.triggers import (
    SPECIFIC_INTERACTION,
    TriggerSpec,
    interaction_matches,
    product_field_type,
)
from engage_site.api.exceptions import InvalidRequest
from interactions.models import Contact, InteractionEvent, InteractionSchema, Product
from interactions.services.events import interaction_events_dispatch
from interactions.services.products import product_create, product_put
from tests.automations.conftest import Receiver, purchase_schema
from tests.automations.test_views import action_rows
from tests.conftest import Persona, wait_until
from tests.factories import ContactFactory, make_interaction, make_schema

JACKET = {
    "sku": "JKT-1",
    "name": "Storm jacket",
    "brand": "Acme",
    "categories": ["Outerwear", "Jackets"],
    "price": {"amount": 1299.0, "currency": "SEK"},
    "attributes": {"color": "red", "size": 42, "organic": True},
}
BOOTS = {
    "sku": "BTS-1",
    "name": "Hiking boots",
    "brand": "Bolt",
    "categories": ["Footwear"],
    "price": {"amount": 899.0, "currency": "EUR"},
}
PLAIN = {"sku": "PLN-1", "name": "A product with no brand, category, price or attributes"}
TAG = [{"type": "tag", "name": "fan"}]


def product_spec(name: str, operator: str, value: Any) -> TriggerSpec:
    """The spec the subscriber builds for a condition on a product field."""
    return TriggerSpec(
        kind=SPECIFIC_INTERACTION,
        schema_pk=1,
        property_name=name,
        property_type=product_field_type(name, value) or "",
        operator=operator,
        value=value,
        product_field=True,
    )


def wire(document: dict[str, Any]) -> dict[str, Any]:
    return {"brand": None, "categories": [], "price": None, "attributes": {}, **document}


@pytest.mark.parametrize(
    ("name", "operator", "value", "product", "expected"),
    [
        ("product.brand", "equals", "Acme", JACKET, True),
        ("product.brand", "equals", "acme", JACKET, False),  # case counts, as for any string
        ("product.brand", "one_of", ["Bolt", "Acme"], JACKET, True),
        ("product.brand", "equals", "Acme", PLAIN, False),  # the product lacks the field
        ("product.category", "equals", "Outerwear", JACKET, True),  # any level of the path
        ("product.category", "equals", "Jackets", JACKET, True),
        ("product.category", "one_of", ["Footwear", "Jackets"], JACKET, True),
        ("product.category", "equals", "Footwear", JACKET, False),
        ("product.category", "equals", "Outerwear", PLAIN, False),
        ("product.price", "gt", 1000, JACKET, True),
        ("product.price", "lte", 1299, JACKET, True),
        ("product.price", "lt", 1000, JACKET, False),
        ("product.price", "gt", 0, PLAIN, False),
        ("product.price.currency", "equals", "SEK", JACKET, True),
        ("product.price.currency", "equals", "EUR", JACKET, False),
        ("product.attributes.color", "equals", "red", JACKET, True),
        ("product.attributes.size", "gte", 40, JACKET, True),
        ("product.attributes.size", "equals", "42", JACKET, False),  # a text is not the number
        ("product.attributes.color", "equals", "red", PLAIN, False),
    ],
)
def test_a_product_condition_holds_on_the_products_facts(
    name: str, operator: str, value: Any, product: dict[str, Any], expected: bool
) -> None:
    spec = product_spec(name, operator, value)
    found = interaction_matches(spec, schema_pk=1, payload={}, product=wire(product))
    assert found is expected


def test_a_product_condition_never_holds_without_a_product() -> None:
    spec = product_spec("product.brand", "equals", "Acme")
    assert not interaction_matches(spec, schema_pk=1, payload={"productSku": "X"}, product=None)


# --- Through the real API and the real worker path ----------------------------------------------

pytestmark_db = pytest.mark.django_db(transaction=True)
with_background = pytest.mark.usefixtures("background")


def create_automation(alice: Persona, receiver: Receiver, **condition: Any) -> dict[str, Any]:
    body = {
        "name": "Acme fans",
        "trigger": "specific_interaction",
        "schemaId": "review",
        "entryRule": "every_time",
        "actions": [{"type": "webhook", "url": f"{receiver.url}/ok"}],
        **condition,
    }
    created = alice.post("automations", body)
    assert created.status_code == 201, created.json()
    receiver.secrets.add(created.json()["signingSecret"])
    return dict(created.json())


def review(alice: Persona, contact: Contact, sku: str) -> str:
    body = {
        "contactId": str(contact.pk),
        "schemaId": "review",
        "payload": {"productSku": sku, "rating": 5},
    }
    posted = alice.post("interactions", body)
    assert posted.status_code == 200, posted.json()
    return str(posted.json()["id"])


@pytestmark_db
@with_background
def test_an_automation_fires_on_a_product_condition_and_its_webhook_carries_the_product(
    alice: Persona, receiver: Receiver
) -> None:
    make_schema(alice.tenant)
    for product in (JACKET, BOOTS, PLAIN):
        assert alice.post("products", product).status_code == 201
    create_automation(alice, receiver, property="product.brand", operator="equals", value="Acme")
    ann, bo, cy, di = (ContactFactory(tenant=alice.tenant) for _ in range(4))

    fired = review(alice, ann, "JKT-1")
    review(alice, bo, "BTS-1")  # a Bolt product: the condition does not hold
    review(alice, cy, "NOPE-9")  # no product has this SKU
    review(alice, di, "PLN-1")  # the product has no brand

    wait_until(lambda: len(receiver.successes()) == 1, timeout=20)
    (delivery,) = receiver.successes()
    assert delivery.signed
    assert delivery.document["contact"]["id"] == str(ann.pk)
    assert delivery.document["interaction"]["id"] == fired
    product = delivery.document["product"]
    stored = alice.get("products/JKT-1").json()
    assert product == stored  # the products API's shape
    assert (product["name"], product["price"]) == ("Storm jacket", JACKET["price"])
    wait_until(lambda: AutomationRun.objects.filter(status="pending").count() == 0, timeout=10)
    assert set(AutomationRun.objects.values_list("contact_id", flat=True)) == {ann.pk}

    # A product that arrives later counts for the interactions received after it (once every
    # earlier interaction has been judged, so that none of them is judged against it).
    wait_until(
        lambda: not InteractionEvent.objects.filter(dispatched_at__isnull=True).exists(),
        timeout=20,
    )
    assert alice.post("products", {**JACKET, "sku": "NOPE-9"}).status_code == 201
    later = review(alice, cy, "NOPE-9")
    wait_until(lambda: len(receiver.successes()) == 2, timeout=20)
    assert receiver.successes()[1].document["interaction"]["id"] == later
    assert receiver.successes()[1].document["product"]["sku"] == "NOPE-9"


@pytestmark_db
@with_background
def test_a_webhook_body_has_a_null_product_when_the_sku_names_none(
    alice: Persona, receiver: Receiver
) -> None:
    make_schema(alice.tenant)
    create_automation(alice, receiver, property="rating", operator="gte", value=4)
    review(alice, ContactFactory(tenant=alice.tenant), "NOPE-1")
    wait_until(lambda: len(receiver.successes()) == 1, timeout=20)
    assert receiver.successes()[0].document["product"] is None


# --- The product's current facts and the entry rules --------------------------------------------


@pytest.fixture
def reviews(alice: Persona) -> InteractionSchema:
    return make_schema(alice.tenant)


def receive(contact: Contact, schema: InteractionSchema, sku: str) -> None:
    make_interaction(contact, schema, payload={"productSku": sku, "rating": 3})
    interaction_events_dispatch()


def product_automation(alice: Persona, schema: InteractionSchema, **fields: Any) -> Automation:
    fields.setdefault("entry_rule", "every_time")
    fields.setdefault("actions", TAG)
    return automation_create(
        tenant=alice.tenant, name="Products", trigger=SPECIFIC_INTERACTION, schema=schema, **fields
    )


def test_a_changed_product_changes_which_later_interactions_fire(
    alice: Persona, reviews: InteractionSchema, contact: Contact
) -> None:
    product_create(tenant=alice.tenant, document=JACKET)
    automation = product_automation(
        alice, reviews, property_name="product.category", operator="equals", condition_value="Boots"
    )
    receive(contact, reviews, "JKT-1")
    assert not AutomationRun.objects.filter(automation=automation).exists()
    product_put(
        tenant=alice.tenant, sku="JKT-1", document={**JACKET, "categories": ["Footwear", "Boots"]}
    )
    receive(contact, reviews, "JKT-1")
    assert AutomationRun.objects.filter(automation=automation).count() == 1


def test_once_per_value_keys_on_the_products_value_of_the_field(
    alice: Persona, reviews: InteractionSchema, contact: Contact
) -> None:
    product_create(tenant=alice.tenant, document=JACKET)
    product_create(tenant=alice.tenant, document={**JACKET, "sku": "JKT-2"})
    product_create(tenant=alice.tenant, document=BOOTS)
    automation = product_automation(
        alice,
        reviews,
        property_name="product.brand",
        operator="one_of",
        condition_value=["Acme", "Bolt"],
        entry_rule="once_per_value",
    )
    receive(contact, reviews, "JKT-1")
    receive(contact, reviews, "JKT-2")  # another Acme product: Acme was had
    receive(contact, reviews, "BTS-1")  # Bolt is a new value
    receive(ContactFactory(tenant=alice.tenant), reviews, "JKT-2")  # another contact
    runs = AutomationRun.objects.filter(automation=automation)
    assert runs.filter(contact=contact).count() == 2
    assert runs.count() == 3


def test_another_tenants_product_of_the_same_sku_is_not_the_interactions(
    alice: Persona, bob: Persona, reviews: InteractionSchema, contact: Contact
) -> None:
    product_create(tenant=bob.tenant, document=JACKET)
    automation = product_automation(
        alice, reviews, property_name="product.brand", operator="equals", condition_value="Acme"
    )
    receive(contact, reviews, "JKT-1")
    assert not AutomationRun.objects.filter(automation=automation).exists()


def product_queries(call: Any) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return sum(Product._meta.db_table in query["sql"] for query in captured)


def test_judging_reads_the_catalog_once_a_batch_and_only_for_a_product_condition(
    alice: Persona, reviews: InteractionSchema
) -> None:
    product_create(tenant=alice.tenant, document=JACKET)
    plain = product_automation(
        alice, reviews, property_name="rating", operator="gte", condition_value=1
    )
    contacts = [ContactFactory(tenant=alice.tenant) for _ in range(5)]
    for contact in contacts:
        make_interaction(contact, reviews, payload={"productSku": "JKT-1", "rating": 3})
    assert product_queries(interaction_events_dispatch) == 0
    assert AutomationRun.objects.filter(automation=plain).count() == 5

    by_brand = product_automation(
        alice, reviews, property_name="product.brand", operator="equals", condition_value="Acme"
    )
    for contact in contacts:
        make_interaction(contact, reviews, payload={"productSku": "JKT-1", "rating": 3})
    assert product_queries(interaction_events_dispatch) == 1
    assert AutomationRun.objects.filter(automation=by_brand).count() == 5


def test_a_run_reads_the_product_only_when_an_action_uses_it(
    alice: Persona, reviews: InteractionSchema, contact: Contact
) -> None:
    product_create(tenant=alice.tenant, document=JACKET)
    tagger = product_automation(
        alice, reviews, property_name="rating", operator="gte", condition_value=1
    )
    receive(contact, reviews, "JKT-1")
    (run,) = AutomationRun.objects.filter(automation=tagger).select_related("automation", "contact")
    assert product_queries(lambda: run_document(run)) == 0
    run.automation.actions = [{"type": "email", "subject": "Hi", "body": "{{ product.name }}"}]
    assert product_queries(lambda: run_document(run)) == 1


# --- Email templates -----------------------------------------------------------------------------


def test_an_email_template_renders_the_products_fields(
    alice: Persona, reviews: InteractionSchema
) -> None:
    product_create(tenant=alice.tenant, document=JACKET)
    email = {
        "type": "email",
        "subject": "About your {{ product.name }}",
        "body": "{{ product.brand }} · {{ product.price.amount }} {{ product.price.currency }} · "
        "{{ product.categories | join: ' > ' }} · {{ product.attributes.color }}"
        "{% if product == nil %}no product{% endif %}",
    }
    product_automation(
        alice,
        reviews,
        property_name="rating",
        operator="gte",
        condition_value=1,
        actions=[email],
    )
    ann = ContactFactory(tenant=alice.tenant, email="ann@example.com")
    bo = ContactFactory(tenant=alice.tenant, email="bo@example.com")
    receive(ann, reviews, "JKT-1")
    receive(bo, reviews, "NOPE-1")
    for run in AutomationRun.objects.order_by("created_at"):
        assert automation_run_execute(run_id=str(run.pk)).status == "succeeded"
    first, second = sorted(mail.outbox, key=lambda message: message.to)
    assert first.subject == "About your Storm jacket"
    assert first.body == "Acme · 1299.0 SEK · Outerwear > Jackets · red"
    # No product: the fields render empty, and a template can tell.
    assert (second.subject, second.body) == ("About your", " ·   ·  · no product")


# --- Refusals on save ----------------------------------------------------------------------------


def refusal(alice: Persona, **condition: Any) -> list[dict[str, Any]]:
    body = {
        "name": "Products",
        "trigger": "specific_interaction",
        "actions": TAG,
        "schemaId": "review",
        **condition,
    }
    answered = alice.post("automations", body)
    assert answered.status_code == 400, answered.json()
    return list(answered.json()["errors"])


@pytest.mark.parametrize(
    ("condition", "field", "message"),
    [
        (
            {"schemaId": "purchase", "property": "product.brand", "value": "Acme"},
            "property",
            "product fields apply to schemas with productSku; the schema purchase has none",
        ),
        (
            {"property": "product.colour", "value": "red"},
            "property",
            "must be a property of the schema review or a product field (product.brand, "
            "product.category, product.price, product.price.currency, "
            "product.attributes.<name>)",
        ),
        (
            {"property": "product.attributes.", "value": "red"},
            "property",
            "must be a property of the schema review or a product field (product.brand, "
            "product.category, product.price, product.price.currency, "
            "product.attributes.<name>)",
        ),
        (
            {"property": "product.price", "value": "cheap"},
            "value",
            'must be a number value, not "cheap"',
        ),
        (
            {"property": "product.brand", "operator": "gt", "value": "Acme"},
            "operator",
            "greater/less than applies to numbers and dates only",
        ),
        (
            {"property": "product.attributes.size", "operator": "one_of", "value": [42, "XL"]},
            "value",
            'must be a number value, not "XL"',
        ),
    ],
)
def test_a_product_condition_that_cant_hold_is_refused_naming_the_field(
    alice: Persona, condition: dict[str, Any], field: str, message: str
) -> None:
    make_schema(alice.tenant)
    purchase_schema(alice.tenant)
    condition.setdefault("operator", "equals")
    (problem,) = refusal(alice, **condition)
    assert (problem["field"], problem["message"]) == (field, message)


def test_the_api_keeps_a_product_condition_as_given(alice: Persona) -> None:
    make_schema(alice.tenant)
    body = {
        "name": "Big spenders",
        "trigger": "specific_interaction",
        "schemaId": "review",
        "property": "product.attributes.size",
        "operator": "one_of",
        "value": [40, 42],
        "entryRule": "once_per_value",
        "actions": TAG,
    }
    created = alice.post("automations", body).json()
    assert (created["property"], created["value"]) == ("product.attributes.size", [40, 42])


# --- The editor ----------------------------------------------------------------------------------


def test_the_editor_offers_product_fields_for_schemas_with_a_sku_only(
    alice: Persona, marketer: Client, reviews: InteractionSchema
) -> None:
    purchase = purchase_schema(alice.tenant)
    product_create(tenant=alice.tenant, document=JACKET)
    page = marketer.get("/automations/new")
    data = page.context["form"].editor_data()
    offered = {prop["name"]: prop["type"] for prop in data[str(reviews.pk)]}
    assert offered["product.brand"] == "string"
    assert offered["product.price"] == "number"
    assert offered["product.attributes.size"] == "number"
    assert offered["product.attributes.organic"] == "boolean"
    assert not any(prop["name"].startswith("product.") for prop in data[str(purchase.pk)])
    assert "Product category (any level)" in page.content.decode()


def test_the_editor_keeps_a_saved_attribute_no_recent_product_holds(
    alice: Persona, marketer: Client, reviews: InteractionSchema
) -> None:
    automation = product_automation(
        alice,
        reviews,
        property_name="product.attributes.fabric",
        operator="equals",
        condition_value="wool",
    )
    page = marketer.get(f"/automations/{automation.public_id}")
    offered = page.context["form"].editor_data()[str(reviews.pk)]
    assert {"name": "product.attributes.fabric", "type": "string"}.items() <= offered[-1].items()
    assert '<option value="product.attributes.fabric" selected>' in page.content.decode()


def test_the_editor_saves_a_product_condition_with_a_typed_value(
    alice: Persona, marketer: Client, reviews: InteractionSchema
) -> None:
    product_create(tenant=alice.tenant, document=JACKET)
    form = {
        "name": "Dear jackets",
        "is_active": "on",
        "trigger": "specific_interaction",
        "schema": str(reviews.pk),
        "property_name": "product.price",
        "operator": "gt",
        "condition_value": "1000",
        "entry_rule": "once",
        **action_rows({"type": "tag", "tag": "big"}),
    }
    saved = marketer.post("/automations/new", form)
    assert saved.status_code == 302, saved.context["form"].errors
    automation = Automation.objects.get(name="Dear jackets")
    assert (automation.property_name, automation.condition_value) == ("product.price", 1000)

    brand = {**form, "name": "Acme", "property_name": "product.brand", "operator": "equals"}
    marketer.post("/automations/new", {**brand, "condition_value": "1000"})
    assert Automation.objects.get(name="Acme").condition_value == "1000"  # a brand is a text


def test_the_editor_shows_a_refused_product_field_at_the_property(
    alice: Persona, marketer: Client
) -> None:
    purchase = purchase_schema(alice.tenant)
    form = {
        "name": "Nope",
        "trigger": "specific_interaction",
        "schema": str(purchase.pk),
        "property_name": "product.brand",
        "operator": "equals",
        "condition_value": "Acme",
        "entry_rule": "once",
        **action_rows({"type": "tag", "tag": "x"}),
    }
    page = marketer.post("/automations/new", form)
    assert page.status_code == 200
    assert page.context["form"].errors["property_name"] == [
        "Product fields apply to schemas with productSku; the schema purchase has none."
    ]


def test_invalid_request_names_every_problem_of_a_product_condition(
    alice: Persona, reviews: InteractionSchema
) -> None:
    with pytest.raises(InvalidRequest) as refused:
        product_automation(
            alice, reviews, property_name="product.price", operator="one_of", condition_value=[]
        )
    assert [problem.field for problem in refused.value.errors] == ["value"]

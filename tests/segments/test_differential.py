"""The compiled query against a plain-Python evaluator of the same rule (``evaluator.py``), on
randomly generated tenants and random rules, seeded so that a failure can be replayed."""

import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from interactions.models import Contact, Interaction, InteractionSchema, Product, Tenant
from interactions.services.ingest import interactions_receive_many
from interactions.services.interactions import interaction_delete, interaction_receive
from interactions.services.products import product_create
from interactions.services.tags import contact_tag_add
from segments.rules.checks import rule_problems
from segments.selectors import rule_contacts, rule_member_ids, segment_catalog
from tests.conftest import Persona
from tests.factories import TenantFactory, make_schema
from tests.segments.conftest import NOW, make_purchase_schema
from tests.segments.evaluator import Person, Row, members

DAYS = [0, 1, 2, 5, 30, 90]
CHANNELS = ["Web", "web", "Store Oslo", "app", "APP store"]
AMOUNTS = [0, 5, 10, 25.5, 40, -3]
OFFSETS = ["Z", "+02:00", "-05:00"]
TYPES = ["Member", "Contact", "Lead"]
DOMAINS = ["shop.example", "other.example", "Shop.Example"]
TAGS = ["vip", "newsletter"]
# Reviews name one of these SKUs; the last two name no product of the catalog.
SKUS = [f"P-{n}" for n in range(12)]
BRANDS = ["Nordkap", "nordkap", "Fjell Sport"]
CATEGORIES = ["Outerwear", "Jackets", "Coats", "Footwear", "Sale", "outerwear"]
PRICES = [0, 9.99, 25.5, 100, 1299]
COLORS = ["red", "Red", "blue"]
SIZES = [42, 40.5, "42", "XL"]


def random_catalog(rng: random.Random) -> dict[str, dict[str, Any]]:
    """Products for the first ten SKUs: some without brand, category path (one to three levels)
    or price, attributes of mixed types, some missing."""
    products = {}
    for sku in SKUS[:10]:
        product: dict[str, Any] = {"sku": sku, "name": f"Product {sku}"}
        if rng.random() < 0.8:
            product["brand"] = rng.choice(BRANDS)
        if rng.random() < 0.8:
            product["categories"] = rng.sample(CATEGORIES, rng.randint(1, 3))
        if rng.random() < 0.8:
            product["price"] = {
                "amount": rng.choice(PRICES),
                "currency": rng.choice(["SEK", "EUR"]),
            }
        attributes: dict[str, Any] = {}
        if rng.random() < 0.7:
            attributes["color"] = rng.choice(COLORS)
        if rng.random() < 0.7:
            attributes["size"] = rng.choice(SIZES)
        if rng.random() < 0.5:
            attributes["organic"] = rng.random() < 0.5
        if attributes:
            product["attributes"] = attributes
        products[sku] = product
    return products


def moment(rng: random.Random) -> datetime:
    """A time near NOW; often exactly a whole number of days before it (the boundaries)."""
    if rng.random() < 0.5:
        return NOW - timedelta(days=rng.choice(DAYS))
    return NOW - timedelta(seconds=rng.randint(0, 100 * 86400))


def iso_with_offset(rng: random.Random, when: datetime) -> str:
    offset = rng.choice(OFFSETS)
    if offset == "Z":
        return when.strftime("%Y-%m-%dT%H:%M:%SZ")
    hours = int(offset[:3])
    local = when + timedelta(hours=hours)
    return local.strftime("%Y-%m-%dT%H:%M:%S") + offset


def payload_for(rng: random.Random, schema_id: str) -> dict[str, Any]:
    if schema_id == "review":
        review: dict[str, Any] = {"rating": rng.randint(1, 5)}
        if rng.random() < 0.85:
            review["productSku"] = rng.choice(SKUS)
        return review
    payload: dict[str, Any] = {}
    if rng.random() < 0.8:
        payload["amount"] = rng.choice(AMOUNTS)
    if rng.random() < 0.8:
        payload["channel"] = rng.choice(CHANNELS)
    if rng.random() < 0.8:
        payload["gift"] = rng.random() < 0.5
    if rng.random() < 0.8:
        payload["shippedAt"] = iso_with_offset(rng, moment(rng))
    if rng.random() < 0.8:
        payload["day"] = moment(rng).date().isoformat()
    return payload


def receive(persona: Persona, document: dict[str, Any]) -> Interaction:
    return interaction_receive(
        tenant=persona.tenant,
        document=document,
        body=json.dumps(document).encode(),
        received_at=NOW,
    )


def populate(
    rng: random.Random, persona: Persona, schemas: dict[str, InteractionSchema]
) -> list[Person]:
    people = []
    # Some products arrive before the interactions that name them, the others after.
    catalog = random_catalog(rng)
    early = {sku for sku in catalog if rng.random() < 0.5}
    for sku in sorted(early):
        product_create(tenant=persona.tenant, document=catalog[sku])
    for index in range(40):
        contact = Contact.objects.create(
            tenant=persona.tenant,
            first_name=f"c{index}",
            contact_type=rng.choice(TYPES),
            email=f"c{index}@{rng.choice(DOMAINS)}" if rng.random() < 0.9 else "",
        )
        tags = {tag for tag in TAGS if rng.random() < 0.3}
        for tag in sorted(tags):
            contact_tag_add(tenant=persona.tenant, contact=contact, name=tag)
        person = Person(contact.pk, contact.contact_type, contact.email, tags)
        documents = []
        for _ in range(rng.choice([0, 0, 1, 2, 3, 5, 8])):
            schema_id = rng.choice(list(schemas))
            documents.append(
                {
                    "contactId": str(contact.pk),
                    "schemaId": schema_id,
                    "createdDate": moment(rng).isoformat(),
                    "payload": payload_for(rng, schema_id),
                }
            )
        # Stored through the write paths (a batch, or one POST each), which keep the segmentable
        # values the compiled rules read.
        if index % 2:
            results = interactions_receive_many(
                tenant=persona.tenant,
                documents=documents,
                bodies=[json.dumps(document).encode() for document in documents],
                received_at=NOW,
            )
            ids = [result.interaction_id for result in results]
        else:
            ids = [receive(persona, document).pk for document in documents]
        kept = []
        for interaction_id, document in zip(ids, documents, strict=True):
            if rng.random() < 0.1:  # deleted interactions must stop counting
                interaction_delete(
                    tenant=persona.tenant,
                    interaction=Interaction.objects.get(pk=interaction_id),
                )
            else:
                created = datetime.fromisoformat(document["createdDate"])
                kept.append(Row(document["schemaId"], created, document["payload"]))
        person.interactions = kept
        people.append(person)
    for sku in sorted(set(catalog) - early):
        product_create(tenant=persona.tenant, document=catalog[sku])
    return people


def product_documents(tenant: Tenant) -> dict[str, dict[str, Any]]:
    """The tenant's products as the evaluator reads them (the wire document's fields)."""
    return {
        product.sku: {
            "brand": product.brand,
            "categories": product.categories,
            "price": None
            if product.price_amount is None
            else {"amount": product.price_amount, "currency": product.price_currency},
            "attributes": product.attributes,
        }
        for product in Product.objects.filter(tenant=tenant)
    }


def random_product_where(rng: random.Random) -> dict[str, Any]:
    fact = rng.choice(["brand", "category", "price", "currency", "color", "size", "organic"])
    if fact == "price":
        op = rng.choice(["eq", "ne", "in", "lt", "lte", "gt", "gte", "between"])
        where: dict[str, Any] = {"property": "product.price", "op": op}
        if op == "in":
            where["values"] = rng.sample(PRICES, 2)
        elif op == "between":
            where["min"], where["max"] = sorted(rng.sample(PRICES, 2))
        else:
            where["value"] = rng.choice(PRICES)
        return where
    if fact == "organic":
        return {"property": "product.attributes.organic", "op": rng.choice(["isTrue", "isFalse"])}
    if fact == "size":
        op = rng.choice(["eq", "ne", "in", "contains", "lt", "gte", "between"])
        where = {"property": "product.attributes.size", "op": op}
        if op == "in":
            where["values"] = rng.sample(SIZES, 2)
        elif op == "contains":
            where["value"] = rng.choice(["x", "4"])
        elif op == "between":
            where["min"], where["max"] = 40, rng.choice([41, 42])
        elif op in ("lt", "gte"):
            where["value"] = rng.choice([40.5, 42])
        else:
            where["value"] = rng.choice(SIZES)
        return where
    choices = {
        "brand": ("product.brand", BRANDS, ["nord", "SPORT"]),
        "category": ("product.category", CATEGORIES, ["wear", "JACK"]),
        "currency": ("product.price.currency", ["SEK", "EUR", "sek"], ["e"]),
        "color": ("product.attributes.color", [*COLORS, 3], ["RE"]),
    }
    name, values, fragments = choices[fact]
    op = rng.choice(["eq", "ne", "in", "contains"])
    if op == "in":
        return {"property": name, "op": op, "values": rng.sample(values, 2)}
    if op == "contains":
        return {"property": name, "op": op, "value": rng.choice([*fragments, *values[:2]])}
    return {"property": name, "op": op, "value": rng.choice(values)}


def random_where(rng: random.Random) -> dict[str, Any]:
    prop = rng.choice(["amount", "channel", "gift", "shippedAt", "day"])
    if prop == "gift":
        return {"property": prop, "op": rng.choice(["isTrue", "isFalse"])}
    if prop == "channel":
        op = rng.choice(["eq", "ne", "in", "contains"])
        if op == "in":
            return {"property": prop, "op": op, "values": rng.sample(CHANNELS, 2)}
        value = (
            rng.choice([*CHANNELS, "store", "App"]) if op == "contains" else rng.choice(CHANNELS)
        )
        return {"property": prop, "op": op, "value": value}

    def operand() -> Any:
        if prop == "amount":
            return rng.choice(AMOUNTS)
        when = moment(rng)
        if prop == "day" or rng.random() < 0.3:
            return when.date().isoformat()
        return iso_with_offset(rng, when)

    op = rng.choice(
        ["eq", "ne", "lt", "lte", "gt", "gte", "between"] + (["in"] if prop == "amount" else [])
    )
    if op == "in":
        return {"property": prop, "op": op, "values": [operand(), operand()]}
    if op == "between":
        low, high = sorted(
            [operand(), operand()], key=lambda v: str(v) if not isinstance(v, int | float) else v
        )
        return {"property": prop, "op": op, "min": low, "max": high}
    return {"property": prop, "op": op, "value": operand()}


def random_window(rng: random.Random) -> dict[str, Any]:
    kind = rng.choice(["allTime", "lastDays", "between", "before", "after"])
    if kind == "allTime":
        return {"type": kind}
    if kind == "lastDays":
        return {"type": kind, "days": rng.choice(DAYS)}
    if kind == "between":
        start, end = sorted([moment(rng), moment(rng)])
        return {"type": kind, "from": start.isoformat(), "to": end.isoformat()}
    return {"type": kind, "date": moment(rng).isoformat()}


def random_count(rng: random.Random) -> dict[str, Any]:
    op = rng.choice([">=", "<=", "=", "between"])
    if op == "between":
        return {"op": op, "min": rng.randint(0, 3), "max": rng.randint(0, 4)}
    return {"op": op, "value": rng.randint(0, 3)}


def random_rule(rng: random.Random, depth: int = 0) -> dict[str, Any]:
    kinds = [
        "count",
        "count",
        "property",
        "product",
        "first",
        "last",
        "never",
        "contactType",
        "emailDomain",
        "tag",
    ]
    if depth < 3:
        kinds += ["all", "any", "not"]
    kind = rng.choice(kinds)
    if kind in ("all", "any"):
        return {
            "type": kind,
            "rules": [random_rule(rng, depth + 1) for _ in range(rng.randint(1, 3))],
        }
    if kind == "not":
        return {"type": "not", "rule": random_rule(rng, depth + 1)}
    if kind == "count":
        rule: dict[str, Any] = {"type": "count", "schemaId": rng.choice(["review", "purchase"])}
        if rng.random() < 0.8:
            rule["count"] = random_count(rng)
        if rng.random() < 0.8:
            rule["window"] = random_window(rng)
        return rule
    if kind == "property":
        return {
            "type": "count",
            "schemaId": "purchase",
            "count": random_count(rng),
            "window": random_window(rng),
            "where": [random_where(rng) for _ in range(rng.randint(1, 2))],
        }
    if kind == "product":
        wheres = [random_product_where(rng) for _ in range(rng.randint(1, 2))]
        if rng.random() < 0.3:  # with a property of the interaction itself
            wheres.insert(
                rng.randint(0, len(wheres)), {"property": "rating", "op": "gte", "value": 3}
            )
        return {
            "type": "count",
            "schemaId": "review",
            "count": random_count(rng),
            "window": random_window(rng),
            "where": wheres,
        }
    if kind in ("first", "last"):
        op = rng.choice(["before", "after", "withinLastDays", "moreThanDaysAgo"])
        rule = {"type": kind, "schemaId": rng.choice(["review", "purchase"]), "op": op}
        if op in ("before", "after"):
            rule["date"] = moment(rng).isoformat()
        else:
            rule["days"] = rng.choice(DAYS)
        if rng.random() < 0.4:  # the first/last of the interactions meeting conditions
            rule["where"] = (
                [random_product_where(rng)] if rule["schemaId"] == "review" else [random_where(rng)]
            )
        return rule
    if kind == "never":
        return {"type": kind, "schemaId": rng.choice(["review", "purchase"])}
    if kind == "contactType":
        return {"type": kind, "values": rng.sample(TYPES, rng.randint(1, 2))}
    if kind == "emailDomain":
        return {"type": kind, "values": rng.sample(DOMAINS, rng.randint(1, 2))}
    return {"type": "tag", "name": rng.choice([*TAGS, "nobody-has-it"])}


@pytest.mark.parametrize("seed", range(6))
def test_the_compiled_query_selects_exactly_what_the_python_evaluator_selects(
    alice: Persona, time_machine: Any, seed: int
) -> None:
    time_machine.move_to(NOW, tick=False)
    rng = random.Random(seed)
    schemas = {"review": make_schema(alice.tenant), "purchase": make_purchase_schema(alice.tenant)}
    # Another tenant with the same schema ids and tags must not leak into the results.
    other = TenantFactory()
    other_people = populate(
        rng,
        Persona(other, "", None),
        {  # type: ignore[arg-type]
            "review": make_schema(other),
            "purchase": make_purchase_schema(other),
        },
    )
    assert other_people
    people = populate(rng, alice, schemas)
    catalog = segment_catalog(tenant=alice.tenant)
    products = product_documents(alice.tenant)
    partial = 0
    for attempt in range(60):
        rule = random_rule(rng)
        assert rule_problems(rule, catalog=catalog) == [], rule
        compiled = {
            contact.pk for contact in rule_contacts(tenant=alice.tenant, rule=rule, catalog=catalog)
        }
        expected = members(rule, people, catalog=catalog, now=NOW, products=products)
        assert compiled == expected, f"seed {seed}, rule {attempt}: {rule}"
        # What refreshes and counts read: a lone count is answered from the interactions alone.
        ids = rule_member_ids(tenant=alice.tenant, rule=rule, catalog=catalog)
        assert set(ids.values_list("member_id", flat=True)) == expected, rule
        assert ids.count() == len(expected), rule
        partial += 0 < len(expected) < len(people)
    # The rules are not trivially all-or-nothing: most split the contacts.
    assert partial >= 30


def test_the_generator_reaches_every_kind_of_condition() -> None:
    rng = random.Random(0)
    seen: set[str] = set()
    for _ in range(300):
        stack = [random_rule(rng)]
        while stack:
            node = stack.pop()
            seen.add(node["type"] + (":where" if "where" in node else ""))
            if any(w["property"].startswith("product.") for w in node.get("where", [])):
                seen.add(node["type"] + ":product")
            stack.extend(node.get("rules", []))
            if "rule" in node:
                stack.append(node["rule"])
    assert seen >= {
        "all",
        "any",
        "not",
        "count",
        "count:where",
        "count:product",
        "first",
        "first:where",
        "last:product",
        "last",
        "never",
        "contactType",
        "emailDomain",
        "tag",
    }
    assert datetime.now(UTC)  # the generator is independent of the clock

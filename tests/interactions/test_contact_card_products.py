"""Interactions meet products on the contact card: a row's productSku is looked up in the catalog
when the page is read (one query a page), and the Products panel lists the products a contact's
interactions name, by kind. Products may come before or after their interactions, change or go;
stored interactions never break."""

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from interactions.models import Contact, Interaction, InteractionSchema, Product
from interactions.services.products import product_catalog_delete, products_upsert_many
from interactions.services.schemas import interaction_schema_delete
from tests.conftest import Persona
from tests.factories import ContactFactory, make_schema
from tests.interactions.test_contact_pages import (
    NOON,
    add_interactions,
    attr,
    card_url,
    find,
    find_all,
    html,
    interactions_tab,
    rows,
    staff_client,
    text,
)
from tests.interactions.test_display_formats import set_display

PRODUCT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "productSku": {"type": "string", "displayName": "Product", "showInContactCard": True},
        "rating": {"type": "integer", "displayName": "Rating", "showInContactCard": True},
    },
}

BOOTS = {
    "sku": "SHO-1",
    "name": "Leather boots",
    "brand": "Stegfast",
    "categories": ["Footwear", "Boots"],
    "price": {"amount": 1899.5, "currency": "SEK"},
    "imageUrl": "https://cdn.example.com/sho-1.png",
    "url": "https://shop.example.com/sho-1",
}


@pytest.fixture
def mia(alice: Persona) -> Client:
    """A marketer of tenant A."""
    return staff_client(alice.tenant, "mia")


@pytest.fixture
def reviews(alice: Persona) -> InteractionSchema:
    return make_schema(alice.tenant, "review", PRODUCT_SCHEMA, display_name="Wrote a review")


@pytest.fixture
def views(alice: Persona) -> InteractionSchema:
    return make_schema(alice.tenant, "view", PRODUCT_SCHEMA, display_name="Viewed a product")


def post_interaction(persona: Persona, contact: Contact, schema_id: str, sku: str) -> str:
    response = persona.post(
        "interactions",
        {
            "contactId": str(contact.pk),
            "schemaId": schema_id,
            "createdDate": NOON.isoformat(),
            "payload": {"productSku": sku, "rating": 5},
        },
    )
    assert response.status_code == 200, response.content  # Engage answers a POST with 200
    return str(response.json()["id"])


def put_product(persona: Persona, document: dict[str, Any]) -> None:
    response = persona.client.put(
        persona.url(f"products/{document['sku']}"), document, format="json"
    )
    assert response.status_code in (200, 201), response.content


def product_cell(row: Any) -> Any:
    return find(row, "div", "is-product")


def panel(client: Client, contact: Contact) -> Any:
    response = client.get(card_url(contact))
    assert response.status_code == 200
    return find(html(response), "section", "products-panel")


# --- Rows ---------------------------------------------------------------------------------------


def test_a_known_sku_shows_the_products_name_image_brand_and_price_in_the_tenants_locale(
    mia: Client, alice: Persona, contact: Contact, reviews: InteractionSchema
) -> None:
    set_display(alice.tenant, timezone="Europe/Stockholm", locale="sv-SE")
    put_product(alice, BOOTS)
    post_interaction(alice, contact, "review", "SHO-1")

    cell = product_cell(rows(html(interactions_tab(mia, contact)))[0])

    link = find(cell, "a")
    assert text(link) == "Leather boots"
    assert attr(link, "href") == "https://shop.example.com/sho-1"
    assert attr(link, "target") == "_blank" and "noopener" in (attr(link, "rel") or "")
    image = find(cell, "img", "product-thumb")
    assert attr(image, "src") == "https://cdn.example.com/sho-1.png"
    assert attr(image, "alt") == "Leather boots"
    assert attr(image, "loading") == "lazy"
    assert (attr(image, "width"), attr(image, "height")) == ("48", "48")
    assert text(find(cell, "span", "product-brand")) == "Stegfast"
    # Babel's Swedish: a no-break space groups the thousands and precedes "kr".
    assert text(find(cell, "span", "product-price")).replace("\xa0", " ") == "1 899,50 kr"
    assert text(find(cell, "span", "product-sku")) == "SHO-1"
    assert not find_all(cell, "span", "product-marker")


def test_an_unknown_sku_keeps_its_marker_saying_the_catalog_lacks_it(
    mia: Client, alice: Persona, contact: Contact, reviews: InteractionSchema
) -> None:
    put_product(alice, BOOTS)
    post_interaction(alice, contact, "review", "NOPE-1")

    cell = product_cell(rows(html(interactions_tab(mia, contact)))[0])

    marker = find(cell, "span", "product-marker")
    assert text(marker) == "NOPE-1"
    assert "not in the catalog" in (attr(marker, "title") or "")
    assert text(find(cell, "span", "product-unknown")) == "not in the catalog"
    assert not find_all(cell, "img")


def test_an_inactive_product_is_shown_marked_inactive_and_one_without_image_or_price_too(
    mia: Client, alice: Persona, contact: Contact, reviews: InteractionSchema
) -> None:
    put_product(alice, {**BOOTS, "active": False})
    put_product(alice, {"sku": "BARE-1", "name": "Plain socks"})
    post_interaction(alice, contact, "review", "SHO-1")
    post_interaction(alice, contact, "review", "BARE-1")

    cells = {
        attr(find(row, "div", "product"), "data-sku"): product_cell(row)
        for row in rows(html(interactions_tab(mia, contact)))
    }

    assert text(find(cells["SHO-1"], "span", "product-inactive")) == "Inactive"
    assert "inactive" in (attr(find(cells["SHO-1"], "div", "product"), "class") or "")
    bare = cells["BARE-1"]
    assert text(find(bare, "span", "product-name")) == "Plain socks"
    assert not find_all(bare, "a") and not find_all(bare, "img")
    assert not find_all(bare, "span", "product-inactive")
    assert not find_all(bare, "span", "product-meta")


def test_products_are_read_when_the_card_is_read_so_late_changed_and_deleted_ones_show_as_they_are(
    mia: Client, alice: Persona, contact: Contact, reviews: InteractionSchema
) -> None:
    interaction_id = post_interaction(alice, contact, "review", "SHO-1")
    stored = alice.get(f"interactions/{interaction_id}").json()

    def cell() -> Any:
        return product_cell(rows(html(interactions_tab(mia, contact)))[0])

    # The interaction came first: its SKU is not in the catalog yet.
    assert text(find(cell(), "span", "product-marker")) == "SHO-1"

    put_product(alice, BOOTS)  # the product arrives later
    assert text(find(cell(), "span", "product-name")) == "Leather boots"

    put_product(alice, {**BOOTS, "name": "Leather boots, resoled"})  # and changes
    assert text(find(cell(), "span", "product-name")) == "Leather boots, resoled"

    assert alice.delete("products/SHO-1").status_code == 204  # and goes
    assert text(find(cell(), "span", "product-marker")) == "SHO-1"

    # The interaction itself never changed.
    assert alice.get(f"interactions/{interaction_id}").json() == stored
    assert Interaction.objects.get(pk=interaction_id).payload["productSku"] == "SHO-1"


def test_another_tenants_product_of_the_same_sku_is_not_shown(
    mia: Client, alice: Persona, bob: Persona, contact: Contact, reviews: InteractionSchema
) -> None:
    put_product(bob, BOOTS)
    post_interaction(alice, contact, "review", "SHO-1")

    cell = product_cell(rows(html(interactions_tab(mia, contact)))[0])

    assert text(find(cell, "span", "product-marker")) == "SHO-1"
    assert mia.get(card_url(contact)).status_code == 200
    assert not find_all(panel(mia, contact), "span", "product-name")


def test_the_card_reads_the_products_of_a_page_in_one_query_at_10_and_1000_rows(
    mia: Client, alice: Persona, contact: Contact, reviews: InteractionSchema, views: Any
) -> None:
    def add(count: int, start: int) -> None:
        catalog = [
            {**BOOTS, "sku": f"SKU-{number}", "name": f"Product {number}"}
            for number in range(start, start + count)
        ]
        assert all(
            result.upserted
            for result in products_upsert_many(tenant=alice.tenant, documents=catalog)
        )
        for index, number in enumerate(range(start, start + count)):
            add_interactions(
                contact,
                reviews if number % 2 else views,
                1,
                start=NOON + timedelta(hours=number),
                payload={"productSku": f"SKU-{number}", "rating": 1 + index % 5},
            )

    def queries(tab: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = mia.get(card_url(contact), {"tab": tab})
        assert response.status_code == 200
        return len(captured)

    add(8, 0)
    add_interactions(contact, reviews, 2, payload={"productSku": "UNKNOWN", "rating": 2})
    with_10 = {tab: queries(tab) for tab in ("interactions", "overview")}
    shown = find_all(html(interactions_tab(mia, contact)), "span", "product-name")
    assert len(shown) == 8

    add(990, 8)
    with_1000 = {tab: queries(tab) for tab in ("interactions", "overview")}
    shown = find_all(html(interactions_tab(mia, contact)), "span", "product-name")
    assert len(shown) == 25  # a page of rows, each with its product

    assert with_10 == with_1000
    product_queries = [
        query["sql"]
        for query in _captured(mia, card_url(contact) + "?tab=interactions")
        if '"interactions_product"' in query["sql"]
    ]
    assert len(product_queries) == 1


def _captured(client: Client, url: str) -> list[dict[str, Any]]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return list(captured.captured_queries)


# --- The Products panel -------------------------------------------------------------------------


def test_the_panel_lists_the_contacts_products_by_kind_with_counts_and_last_times(
    mia: Client, alice: Persona, contact: Contact, reviews: InteractionSchema, views: Any
) -> None:
    put_product(alice, BOOTS)
    put_product(alice, {**BOOTS, "sku": "JKT-1", "name": "Rain jacket", "brand": "Nordvik"})
    day = timedelta(days=1)
    add_interactions(contact, views, 3, start=NOON, step=day, payload={"productSku": "SHO-1"})
    add_interactions(
        contact, views, 1, start=NOON + 10 * day, payload={"productSku": "JKT-1", "rating": 1}
    )
    add_interactions(
        contact, reviews, 1, start=NOON + 5 * day, payload={"productSku": "GONE-1", "rating": 4}
    )
    add_interactions(contact, reviews, 2, payload={"rating": 3})  # no product named
    other = ContactFactory(tenant=alice.tenant)
    add_interactions(other, reviews, 1, payload={"productSku": "SHO-1", "rating": 5})

    found = panel(mia, contact)

    kinds = find_all(found, "div", "product-kind")
    # The kind named most recently first; in each, its products most recent first.
    assert [text(find(kind, "h3")) for kind in kinds] == ["Viewed a product", "Wrote a review"]
    viewed = {attr(item, "data-sku"): item for item in find_all(kinds[0], "li")}
    assert list(viewed) == ["JKT-1", "SHO-1"]
    assert text(find(viewed["SHO-1"], "span", "product-name")) == "Leather boots"
    assert text(find(viewed["SHO-1"], "p", "product-usage")) == "3 times · last 3 Jun 2024, 12:00"
    assert text(find(viewed["JKT-1"], "p", "product-usage")) == "1 time · last 11 Jun 2024, 12:00"
    assert attr(find(viewed["SHO-1"], "img"), "alt") == "Leather boots"
    (gone,) = find_all(kinds[1], "li")
    assert text(find(gone, "span", "product-marker")) == "GONE-1"
    assert text(find(gone, "span", "product-unknown")) == "not in the catalog"
    assert not find_all(found, "p", "product-more")


def test_the_panel_shows_at_most_20_products_a_kind_and_counts_the_rest(
    mia: Client, alice: Persona, contact: Contact, views: InteractionSchema
) -> None:
    for number in range(23):
        add_interactions(
            contact,
            views,
            1,
            start=NOON + timedelta(hours=number),
            payload={"productSku": f"SKU-{number:02d}"},
        )

    found = panel(mia, contact)

    skus = [attr(item, "data-sku") for item in find_all(found, "li")]
    assert skus == [f"SKU-{number:02d}" for number in range(22, 2, -1)]
    assert text(find(found, "p", "product-more")) == "and 3 more"


def test_the_panel_leaves_out_a_deleted_schema_and_says_when_nothing_names_a_product(
    mia: Client, alice: Persona, contact: Contact, views: InteractionSchema
) -> None:
    assert text(find(panel(mia, contact), "p", "empty")) == "No interactions name a product yet."
    add_interactions(contact, views, 2, payload={"productSku": "SHO-1"})
    assert find_all(panel(mia, contact), "li")

    interaction_schema_delete(tenant=alice.tenant, schema_id="view")

    assert not find_all(panel(mia, contact), "li")


# --- Deleting products, the catalog, a contact --------------------------------------------------


def test_deleting_the_catalog_leaves_interactions_as_they_were_and_the_card_working(
    mia: Client, alice: Persona, contact: Contact, reviews: InteractionSchema
) -> None:
    put_product(alice, BOOTS)
    interaction_id = post_interaction(alice, contact, "review", "SHO-1")
    stored = alice.get(f"interactions/{interaction_id}").json()

    assert product_catalog_delete(tenant=alice.tenant) == 1

    assert alice.get(f"interactions/{interaction_id}").json() == stored
    cell = product_cell(rows(html(interactions_tab(mia, contact)))[0])
    assert text(find(cell, "span", "product-marker")) == "SHO-1"
    assert find_all(panel(mia, contact), "span", "product-marker")


def test_erasing_a_contact_leaves_the_catalog_alone(
    alice: Persona, contact: Contact, reviews: InteractionSchema
) -> None:
    put_product(alice, BOOTS)
    put_product(alice, {**BOOTS, "sku": "JKT-1", "name": "Rain jacket"})
    post_interaction(alice, contact, "review", "SHO-1")
    catalog = list(Product.objects.filter(tenant=alice.tenant).order_by("sku").values())

    assert alice.delete(f"contacts/{contact.pk}").status_code == 204

    assert not Interaction.objects.filter(contact_id=contact.pk).exists()
    assert list(Product.objects.filter(tenant=alice.tenant).order_by("sku").values()) == catalog
    assert alice.get("products/SHO-1").status_code == 200

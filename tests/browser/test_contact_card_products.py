"""The contact card's products in a real browser: the rows' products and the Products panel, wide
and on a phone, with thumbnails the app serves itself; nothing scrolls sideways, and axe-core
finds no serious or critical problem."""

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.conftest import BrowserProblems, log_in, screenshot
from tests.browser.test_contact_card import PASSWORD, Api, make_marketer
from tests.browser.test_tour import WIDTHS, blocking_violations, overflow

pytestmark = pytest.mark.django_db(transaction=True)

VIEWED = {
    "id": "product-view",
    "displayName": "Viewed a product",
    "jsonSchema": {
        "type": "object",
        "properties": {
            "productSku": {"type": "string", "displayName": "Product", "showInContactCard": True},
            "channel": {"type": "string", "displayName": "Channel", "showInContactCard": True},
        },
    },
}


def test_products_on_the_card_fit_a_phone_load_their_thumbnails_and_pass_axe(
    live_server: Any, page: Any, problems: BrowserProblems
) -> None:
    tenant = make_marketer("shop", "mia", "Europe/Stockholm")
    api = Api(tenant)
    api.post("interactionschemas", VIEWED)
    icons = f"{live_server.url}/static/interactions/products"
    for sku, name, icon, active in (
        (
            "JKT-1",
            "Rain jacket with a rather long name that has to wrap on a phone",
            "jackets",
            True,
        ),
        ("SHO-1", "Leather boots", "shoes", False),
        ("BAG-1", "Canvas tote", "", True),
    ):
        api.post(
            "products",
            {
                "sku": sku,
                "name": name,
                "brand": "Nordvik",
                "price": {"amount": 1899.5, "currency": "SEK"},
                "url": "https://shop.example.com/" + sku,
                "active": active,
                **({"imageUrl": f"{icons}/{icon}.svg"} if icon else {}),
            },
        )
    contact = api.post("contacts", {"firstName": "Ada", "lastName": "Lovelace"})
    for sku in ("JKT-1", "SHO-1", "BAG-1", "NOT-IN-CATALOG-" + "X" * 60):
        api.post(
            "interactions",
            {
                "contactId": contact["id"],
                "schemaId": "product-view",
                "payload": {"productSku": sku, "channel": "web"},
            },
        )

    page.context.add_init_script(script=Axe().axe_script)
    log_in(page, live_server, "mia", PASSWORD)
    for width, viewport in WIDTHS.items():
        page.set_viewport_size(viewport)
        for tab in ("overview", "interactions"):
            page.goto(f"{live_server.url}/contacts/{contact['id']}/?tab={tab}")
            scope = page.locator(".products-panel" if tab == "overview" else ".interactions")
            scope.scroll_into_view_if_needed()
            assert scope.locator("img.product-thumb").count() == 2
            for index in range(2):
                scope.locator("img.product-thumb").nth(index).scroll_into_view_if_needed()
            page.wait_for_function(
                "() => [...document.querySelectorAll('img.product-thumb')]"
                ".every(image => image.complete && image.naturalWidth > 0)"
            )
            assert scope.locator(".product.inactive .product-inactive").count() == 1
            assert scope.locator(".product-marker").count() == 1
            assert blocking_violations(page) == []
            assert overflow(page) == 0
            screenshot(page, f"card-products-{tab}-{width}")

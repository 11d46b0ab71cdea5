"""The schema builder in a real browser: rows, live preview, the server's messages next to the
field at fault, raw JSON, duplicating, and hostile names shown as text."""

import json
from typing import Any

import pytest
from rest_framework.test import APIClient

from interactions.models import InteractionSchema, Tenant
from interactions.services.roles import ADMIN
from interactions.services.staff import staff_user_create
from interactions.services.tenants import api_key_create
from tests.browser.conftest import BrowserProblems, log_in, screenshot
from tests.factories import (
    REVIEW_JSON_SCHEMA,
    ContactFactory,
    TenantFactory,
    make_interaction,
    make_schema,
    make_schema_stored_before_the_name_rule,
)

pytestmark = pytest.mark.django_db(transaction=True)

DIALECT = "https://json-schema.org/draft/2020-12/schema"
PASSWORD = "a-long-password"
XSS = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "</script><script>alert(1)</script>",
)


@pytest.fixture
def acme(db: None) -> Tenant:
    tenant: Tenant = TenantFactory(slug="acme", name="Acme")
    staff_user_create(tenant=tenant, username="ada", password=PASSWORD, role=ADMIN)
    return tenant


def api_get(tenant: Tenant, path: str) -> Any:
    """What the API says, asked with a key of ``tenant`` from this test process."""
    _, key = api_key_create(tenant=tenant, name="browser-test")
    client = APIClient()
    client.credentials(HTTP_APIKEY=key)
    return client.get(f"/api/v2/{path}")


def open_builder(page: Any, live_server: Any) -> None:
    log_in(page, live_server, "ada", PASSWORD)
    page.goto(f"{live_server.url}/admin/interactions/interactionschema/add/")


def row(page: Any, index: int) -> Any:
    return page.locator("#property-rows .property-row").nth(index)


def fill_row(row: Any, **values: Any) -> None:
    """Type into one property row; booleans tick check boxes, ``type``/``format`` pick options."""
    for key, value in values.items():
        box = row.locator(f'[data-key="{key}"]')
        if isinstance(value, bool):
            box.set_checked(value)
        elif key in ("type", "format"):
            box.select_option(value)
        else:
            box.fill(value)


def preview(page: Any) -> Any:
    return json.loads(page.locator("#schema-preview").text_content())


def save(page: Any) -> None:
    with page.expect_navigation():
        page.click("input[name=_save]")


def message_at(page: Any, row_index: int, key: str) -> str:
    cell = row(page, row_index).locator(f'.cell:has([data-key="{key}"]) ul.errorlist')
    return str(cell.inner_text())


EXPECTED = {
    "$schema": DIALECT,
    "type": "object",
    "properties": {
        "orderedAt": {
            "type": "string",
            "format": "date-time",
            "displayName": "Ordered at",
            "sortOrder": 0,
            "showInContactCard": True,
        },
        "quantity": {
            "type": "integer",
            "displayName": "Quantity",
            "sortOrder": 1,
            "showInContactCard": True,
            "minimum": 1,
            "maximum": 99,
        },
        "giftWrap": {
            "type": "boolean",
            "displayName": "Gift wrap",
            "sortOrder": 2,
            "addToSegmentation": True,
        },
    },
    "required": ["orderedAt", "quantity"],
}


def test_an_admin_builds_a_schema_row_by_row_fixes_the_refused_parts_and_saves_it(
    live_server: Any, page: Any, problems: BrowserProblems, acme: Tenant
) -> None:
    open_builder(page, live_server)
    page.fill("#id_id", "my order")  # a space: refused
    page.fill("#id_display_name", "Placed an order")
    fill_row(
        row(page, 0),
        name="orderedAt",
        format="date-time",
        displayName="Ordered at",
        showInContactCard=True,
        required=True,
        maximum="5",  # refused: maximum applies to numbers
    )
    assert preview(page)["properties"]["orderedAt"]["format"] == "date-time"

    page.click("#add-property")
    fill_row(
        row(page, 1),
        name="quantity",
        type="integer",
        displayName="Quantity",
        minimum="1",
        maximum="99",
        showInContactCard=True,
        required=True,
    )
    page.click("#add-property")
    fill_row(row(page, 2), name="giftWrap", type="boolean", displayName="Gift wrap")
    fill_row(row(page, 2), addToSegmentation=True)
    assert preview(page)["properties"]["giftWrap"] == EXPECTED["properties"]["giftWrap"]
    assert row(page, 2).locator('[data-key="format"]').is_disabled()
    screenshot(page, "schema-builder")

    save(page)
    assert page.url.endswith("/admin/interactions/interactionschema/add/")
    assert "Please correct the problems below" in page.locator(".errornote").inner_text()
    assert "must be 1 to 64 letters" in page.locator(".field-id .errorlist").inner_text()
    # The rows came back as they were, with the message next to the input at fault.
    assert row(page, 0).locator('[data-key="name"]').input_value() == "orderedAt"
    assert message_at(page, 0, "maximum") == "applies only to numbers"
    assert page.locator("#schema-problems li").count() == 0
    screenshot(page, "schema-builder-error")

    page.fill("#id_id", "order")
    fill_row(row(page, 0), maximum="")
    assert page.locator("#property-rows ul.errorlist").count() == 0  # cleared while typing
    assert preview(page) == EXPECTED
    save(page)
    schema = InteractionSchema.objects.get(tenant=acme, schema_id="order")
    assert page.url == f"{live_server.url}/admin/interactions/interactionschema/{schema.pk}/change/"
    assert "was added" in page.locator(".messagelist").inner_text()

    stored = api_get(acme, "interactionschemas/order").json()
    assert stored == {"id": "order", "displayName": "Placed an order", "jsonSchema": EXPECTED}


def test_a_schema_pasted_as_raw_json_is_saved_as_pasted_and_loads_into_rows(
    live_server: Any, page: Any, problems: BrowserProblems, acme: Tenant
) -> None:
    pasted = {
        "type": "object",
        "properties": {
            "sku": {"type": "string", "displayName": "SKU", "showInContactCard": "true"},
            "price": {"type": "number", "exclusiveMinimum": 0, "sortOrder": "1"},
            "size": {"type": "string", "enum": ["S", "M", "L"]},
        },
        "required": ["sku"],
    }
    open_builder(page, live_server)
    page.fill("#id_id", "pasted")
    page.fill("#id_display_name", "Pasted")
    page.click("#tab-raw")
    page.fill("#id_json_schema", json.dumps(pasted, indent=2))
    page.click("#tab-rows")  # loads the document into rows
    assert page.locator("#property-rows .property-row").count() == 3
    assert row(page, 0).locator('[data-key="showInContactCard"]').is_checked()
    assert row(page, 1).locator('[data-key="exclusiveMinimum"]').input_value() == "0"
    assert row(page, 2).locator('[data-key="enum"]').input_value() == "S, M, L"
    assert preview(page)["properties"]["size"]["enum"] == ["S", "M", "L"]

    # What the rows can't show stays in raw mode, and the server names it.
    page.click("#tab-raw")
    with_ref = {**pasted, "properties": {**pasted["properties"], "x": {"$ref": "#/a"}}}
    page.fill("#id_json_schema", json.dumps(with_ref))
    page.click("#load-rows")
    note = page.locator("#raw-note").inner_text()
    assert "can't show" in note and "jsonSchema.properties.x.$ref" in note
    save(page)
    assert page.locator("#raw-panel").is_visible()
    listed = page.locator("#schema-problems").inner_text()
    assert "jsonSchema.properties.x.$ref: is not an allowed keyword for a property" in listed
    assert "jsonSchema.properties.x.type: is required" in listed
    screenshot(page, "schema-builder-raw")

    page.fill("#id_json_schema", json.dumps(pasted))
    save(page)
    assert "/change/" in page.url
    assert api_get(acme, "interactionschemas/pasted").json()["jsonSchema"] == pasted


def test_a_schema_is_duplicated_into_the_builder_under_a_new_id(
    live_server: Any, page: Any, problems: BrowserProblems, acme: Tenant
) -> None:
    schema = make_schema(acme, schema_id="review", display_name="Wrote a review")
    log_in(page, live_server, "ada", PASSWORD)
    page.goto(f"{live_server.url}/admin/interactions/interactionschema/{schema.pk}/change/")
    assert '"rating"' in page.locator("pre.schema-json").inner_text()
    with page.expect_navigation():
        page.click("text=Duplicate")
    assert page.locator("#id_id").input_value() == ""
    assert page.locator("#id_display_name").input_value() == "Wrote a review"
    names = page.locator('#property-rows [data-key="name"]')
    assert [names.nth(i).input_value() for i in range(names.count())] == [
        "productSku",
        "rating",
        "title",
    ]
    assert preview(page)["properties"] == REVIEW_JSON_SCHEMA["properties"]

    page.fill("#id_id", "review-2")
    save(page)
    copy = api_get(acme, "interactionschemas/review-2").json()
    assert copy["displayName"] == "Wrote a review"
    assert copy["jsonSchema"] == REVIEW_JSON_SCHEMA


def test_hostile_names_show_as_text_in_the_builder_and_the_schema_pages(
    live_server: Any, page: Any, problems: BrowserProblems, acme: Tenant
) -> None:
    open_builder(page, live_server)
    page.fill("#id_id", "hostile")
    page.fill("#id_display_name", XSS[3])
    for index, text in enumerate(XSS):
        if index:
            page.click("#add-property")
        fill_row(row(page, index), name=text, displayName=XSS[-1 - index], description=text)
    shown = page.locator("#schema-preview").text_content()
    assert all(json.dumps(text) in shown for text in XSS)
    assert list(preview(page)["properties"]) == list(XSS)
    assert page.locator("img[src=x]").count() == 0

    # Such names are not identifiers: each row says so, quoting the name as text.
    save(page)
    assert "/add/" in page.url
    for index, text in enumerate(XSS):
        assert message_at(page, index, "name").startswith(f"{text!r} can't be a property name")
    assert page.locator("img[src=x]").count() == 0
    for index in range(len(XSS)):
        fill_row(row(page, index), name=f"note{index}")
    save(page)
    assert "/change/" in page.url
    stored = api_get(acme, "interactionschemas/hostile").json()
    assert [spec["description"] for spec in stored["jsonSchema"]["properties"].values()] == list(
        XSS
    )
    assert stored["displayName"] == XSS[3]
    table = page.locator("table.schema-properties").inner_text()
    assert all(text in table for text in XSS)

    # A schema stored before names had to be identifiers shows them as text too.
    legacy = make_schema_stored_before_the_name_rule(
        acme,
        "legacy",
        {"type": "object", "properties": {text: {"type": "string"} for text in XSS}},
        display_name=XSS[1],
    )
    page.goto(f"{live_server.url}/admin/interactions/interactionschema/")
    assert XSS[1] in page.locator("#result_list").inner_text()
    assert XSS[3] in page.locator("#result_list").inner_text()
    screenshot(page, "schema-list")

    page.goto(f"{live_server.url}/admin/interactions/interactionschema/{legacy.pk}/duplicate/")
    names = page.locator('#property-rows [data-key="name"]')
    assert [names.nth(i).input_value() for i in range(names.count())] == list(XSS)
    assert page.locator("img[src=x]").count() == 0


def test_the_counter_of_segmentable_properties_follows_the_ticks_and_the_limit_is_said_plainly(
    live_server: Any, page: Any, problems: BrowserProblems, acme: Tenant
) -> None:
    acme.max_segmentable_properties = 2
    acme.save(update_fields=["max_segmentable_properties"])
    open_builder(page, live_server)
    counter = page.locator("#segmentation-counter")
    limit = page.locator("#properties-problems li")
    assert counter.inner_text() == "0 of 2 used for segmentation"

    page.fill("#id_id", "visit")
    page.fill("#id_display_name", "Visited a store")
    for index, name in enumerate(("store", "city", "floor")):
        if index:
            page.click("#add-property")
        fill_row(row(page, index), name=name, addToSegmentation=True)
        if index < 2:
            assert counter.inner_text() == f"{index + 1} of 2 used for segmentation"
            assert limit.count() == 0
    assert counter.inner_text() == "3 of 2 used for segmentation"
    expected = "At most 2 properties can be added to segmentation; 3 are ticked."
    assert [limit.nth(i).inner_text() for i in range(limit.count())] == [expected]
    screenshot(page, "schema-builder-segmentation-limit")

    # The server says the same, once, in the same place.
    save(page)
    assert "/add/" in page.url
    assert [limit.nth(i).inner_text() for i in range(limit.count())] == [expected]
    assert counter.inner_text() == "3 of 2 used for segmentation"
    assert page.locator("#schema-problems li").count() == 0  # not repeated in keyword jargon

    page.click("#property-rows .property-row:nth-child(3) .remove-property")
    assert counter.inner_text() == "2 of 2 used for segmentation"
    assert limit.count() == 0
    save(page)
    assert "/change/" in page.url
    properties = api_get(acme, "interactionschemas/visit").json()["jsonSchema"]["properties"]
    assert list(properties) == ["store", "city"]


def test_deleting_a_schema_asks_first_and_counts_its_interactions(
    live_server: Any, page: Any, problems: BrowserProblems, acme: Tenant
) -> None:
    schema = make_schema(acme, schema_id="review", display_name="Wrote a review")
    contact = ContactFactory(tenant=acme)
    for rating in (3, 4):
        make_interaction(contact, schema, {"rating": rating})
    log_in(page, live_server, "ada", PASSWORD)
    page.goto(f"{live_server.url}/admin/interactions/interactionschema/")
    assert page.locator(".field-interaction_count").inner_text() == "2"
    page.click("text=review")
    screenshot(page, "schema-detail")
    page.click("a.deletelink")
    assert "2 interactions" in page.locator("#interaction-count").inner_text()
    screenshot(page, "schema-delete")
    with page.expect_navigation():
        page.click("text=Yes, delete the schema and its interactions")
    assert page.url == f"{live_server.url}/admin/interactions/interactionschema/"
    assert api_get(acme, "interactionschemas/review").status_code == 404


def test_without_javascript_the_raw_textarea_still_saves_a_schema(
    live_server: Any, browser: Any, page: Any, problems: BrowserProblems, acme: Tenant
) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        plain = context.new_page()
        open_builder(plain, live_server)
        assert not plain.locator("#rows-panel").is_visible()
        plain.fill("#id_id", "plain")
        plain.fill("#id_display_name", "No script")
        plain.fill(
            "#id_json_schema", '{"type": "object", "properties": {"n": {"type": "integer"}}}'
        )
        save(plain)
        assert "/change/" in plain.url
    finally:
        context.close()
    stored = api_get(acme, "interactionschemas/plain").json()
    assert stored["jsonSchema"] == {"type": "object", "properties": {"n": {"type": "integer"}}}

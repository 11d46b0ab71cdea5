"""The contact card and list in a real browser, with data posted through the API."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from rest_framework.test import APIClient

from interactions.models import Tenant
from interactions.services.roles import MARKETER
from interactions.services.staff import staff_user_create
from interactions.services.tenants import api_key_create
from tests.browser.conftest import BrowserProblems, log_in, screenshot
from tests.factories import TenantFactory, make_schema_stored_before_the_name_rule

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-long-password"
START = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)

STORE_VISIT = {
    "id": "store-visit",
    "displayName": "Visited a store",
    "jsonSchema": {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {
            "store": {
                "type": "string",
                "displayName": "Store",
                "showInContactCard": "true",
                "sortOrder": "1",
            },
            "productSku": {
                "type": "string",
                "displayName": "Product",
                "showInContactCard": "true",
                "sortOrder": "2",
            },
            "spent": {
                "type": "number",
                "displayName": "Spent",
                "showInContactCard": "true",
                "sortOrder": "3",
            },
            "firstVisit": {
                "type": "boolean",
                "displayName": "First visit",
                "showInContactCard": "true",
                "sortOrder": "4",
            },
            "staffNote": {"type": "string", "displayName": "Staff note"},
            "receiptId": {"type": "string", "displayName": "Receipt"},
        },
        "required": ["store"],
    },
}

REVIEW = {
    "id": "review",
    "displayName": "Wrote a review",
    "jsonSchema": {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {
            "rating": {
                "type": "integer",
                "displayName": "Rating",
                "showInContactCard": True,
                "sortOrder": 1,
            },
            "title": {"type": "string", "displayName": "Title", "showInContactCard": True},
            "body": {"type": "string", "displayName": "Review"},
        },
        "required": ["rating"],
    },
}

XSS_SCRIPT = "<script>alert(1)</script>"
XSS_IMG = '"><img src=x onerror=alert(1)>'
XSS_JS_URL = "javascript:alert(1)"
XSS_END_SCRIPT = "</script><script>alert(1)</script>"


class Api:
    """A tenant's API client, on the same database the live server reads."""

    def __init__(self, tenant: Tenant) -> None:
        _, key = api_key_create(tenant=tenant, name="browser test")
        self.client = APIClient()
        self.client.credentials(HTTP_APIKEY=key)

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.client.post(f"/api/v2/{path}", body, format="json")
        assert response.status_code in (200, 201), response.content
        data: dict[str, Any] = response.json()
        return data


def make_marketer(slug: str, username: str, timezone_name: str = "UTC") -> Tenant:
    tenant = TenantFactory(slug=slug, name=slug.title(), timezone=timezone_name)
    staff_user_create(tenant=tenant, username=username, password=PASSWORD, role=MARKETER)
    return tenant


def post_history(api: Api) -> str:
    """A few contacts, the newest with 40 store visits and 20 reviews over four months; returns
    the newest's id."""
    api.post("interactionschemas", STORE_VISIT)
    api.post("interactionschemas", REVIEW)
    for first, last in (("Grace", "Hopper"), ("Alan", "Turing"), ("Edsger", "Dijkstra")):
        other = api.post(
            "contacts",
            {"firstName": first, "lastName": last, "email": f"{first.lower()}@example.com"},
        )
        api.post(
            "interactions",
            {"contactId": other["id"], "schemaId": "review", "payload": {"rating": 4}},
        )
    contact = api.post(
        "contacts", {"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com"}
    )
    for index in range(40):
        api.post(
            "interactions",
            {
                "contactId": contact["id"],
                "schemaId": "store-visit",
                "createdDate": (START + timedelta(days=index * 3, hours=index % 5)).isoformat(),
                "payload": {
                    "store": f"Store {index % 4 + 1}",
                    "productSku": f"SKU-{1000 + index}",
                    "spent": 100 + index * 12.5,
                    "firstVisit": index == 0,
                    "staffNote": f"note {index}",
                    "receiptId": f"R-{index:04d}",
                },
            },
        )
    for index in range(20):
        api.post(
            "interactions",
            {
                "contactId": contact["id"],
                "schemaId": "review",
                "createdDate": (START + timedelta(days=index * 6, hours=12)).isoformat(),
                "payload": {"rating": 1 + index % 5, "title": f"Review {index}", "body": "Nice"},
            },
        )
    return str(contact["id"])


def legend_of(page: Any) -> list[str]:
    items = page.locator("#interaction-chart-legend li").all_inner_texts()
    return [" ".join(item.split()) for item in items]


def row_ids(page: Any) -> list[str]:
    return [
        (page.locator("article.interaction").nth(index).get_attribute("id") or "")
        for index in range(page.locator("article.interaction").count())
    ]


def test_a_marketer_reads_filters_and_pages_through_a_contacts_interactions(
    live_server: Any, page: Any, problems: BrowserProblems
) -> None:
    tenant = make_marketer("acme", "mia", "Europe/Stockholm")
    contact_id = post_history(Api(tenant))
    log_in(page, live_server, "mia", PASSWORD)

    page.goto(f"{live_server.url}/contacts/")
    row = page.locator("table.contacts tbody tr").first
    assert row.locator(".contact-name").inner_text() == "Ada Lovelace"
    assert row.locator(".interaction-count").inner_text() == "60"
    screenshot(page, "contact-list")

    row.locator(".contact-name").click()
    page.wait_for_load_state()
    assert page.locator("h1.contact-title").inner_text() == "Ada Lovelace"
    assert page.locator(".attributes").get_by_text("ada@example.com").count() == 1
    screenshot(page, "contact-card-overview")

    page.click("nav.tabs >> text=Interactions")
    page.wait_for_load_state()
    # The chart: stacked SVG bars for both schemas, with a legend.
    assert page.locator("#interaction-chart svg rect.bar").count() > 10
    assert legend_of(page) == ["Visited a store 40", "Wrote a review 20"]

    newest = page.locator("article.interaction").first
    assert newest.locator(".schema-name").inner_text() == "Visited a store"
    # 117 days and 4 hours after 1 March 09:00 UTC is 26 June 13:00 UTC: 15:00 in Stockholm.
    assert newest.locator("time.when").inner_text() == "26 Jun 2024, 15:00"
    assert newest.locator("dl.shown dt").all_inner_texts() == [
        "Store",
        "Product",
        "Spent",
        "First visit",
    ]
    assert newest.locator("dl.shown dd").all_inner_texts() == [
        "Store 4",
        "SKU-1039 not in the catalog",  # the tenant has no catalog
        "587.5",
        "no",
    ]
    assert newest.locator(".product-marker").inner_text() == "SKU-1039"
    hidden = newest.locator("details dl")
    assert not hidden.is_visible()
    newest.locator("details summary").click()
    assert hidden.is_visible()
    assert hidden.locator("dt").all_inner_texts() == ["Staff note", "Receipt"]
    assert hidden.locator("dd").all_inner_texts() == ["note 39", "R-0039"]
    assert (
        newest.locator("a.raw-link")
        .get_attribute("href")
        .startswith("/admin/interactions/interaction/")
    )
    screenshot(page, "contact-card")

    # Page through everything with "Older": 60 rows in pages of 25, none repeated or skipped.
    seen = row_ids(page)
    while page.locator("a.older").count():
        page.click("a.older")
        page.wait_for_load_state()
        seen += row_ids(page)
    assert len(seen) == 60
    assert len(set(seen)) == 60

    page.goto(f"{live_server.url}/contacts/{contact_id}/?tab=interactions")
    page.select_option("select[name=schema]", "review")
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state()
    assert "schema=review" in page.url
    kinds = page.locator("article.interaction .schema-name").all_inner_texts()
    assert len(kinds) == 20
    assert set(kinds) == {"Wrote a review"}
    assert page.locator("a.older").count() == 0
    assert legend_of(page) == ["Wrote a review 20"]
    assert page.locator("#interaction-chart svg rect.bar").count() > 0
    screenshot(page, "contact-card-filtered")

    page.fill("input[name=since]", "2024-04-01")
    page.fill("input[name=until]", "2024-04-30")
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state()
    dates = page.locator("article.interaction time.when").all_inner_texts()
    assert dates and all("Apr 2024" in text for text in dates)


def test_another_tenants_marketer_gets_a_404_for_the_card(
    live_server: Any, page: Any, problems: BrowserProblems
) -> None:
    acme = make_marketer("acme", "mia")
    api = Api(acme)
    api.post("interactionschemas", REVIEW)
    contact = api.post("contacts", {"firstName": "Ada", "email": "ada@example.com"})
    api.post(
        "interactions",
        {"contactId": contact["id"], "schemaId": "review", "payload": {"rating": 5}},
    )
    make_marketer("globex", "gil")
    log_in(page, live_server, "gil", PASSWORD)
    # Django's plain 404 page has no icon link, so Chromium would ask for /favicon.ico too.
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    response = page.goto(f"{live_server.url}/contacts/{contact['id']}/?tab=interactions")
    assert response.status == 404
    assert "ada@example.com" not in page.content()
    page.wait_for_load_state("networkidle")
    # Chromium logs a 404 document as a console error: that one, and only it, is expected.
    assert problems.console_errors == [
        "Failed to load resource: the server responded with a status of 404 (Not Found)"
    ]
    problems.console_errors.clear()

    page.goto(f"{live_server.url}/contacts/")
    assert page.locator(".contact-name").count() == 0


def test_the_xss_corpus_shows_as_text_and_runs_nothing(
    live_server: Any, page: Any, problems: BrowserProblems
) -> None:
    tenant = make_marketer("acme", "mia")
    api = Api(tenant)
    # Such property names are refused today; a schema stored before that still shows.
    make_schema_stored_before_the_name_rule(
        tenant,
        "hostile",
        display_name=XSS_END_SCRIPT,
        json_schema={
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "properties": {
                XSS_SCRIPT: {"type": "string", "showInContactCard": True, "sortOrder": 1},
                "shown": {"type": "string", "displayName": XSS_IMG, "showInContactCard": True},
                "site": {
                    "type": "string",
                    "format": "uri",
                    "displayName": XSS_SCRIPT,
                    "showInContactCard": True,
                    "sortOrder": 2,
                },
                "productSku": {"type": "string", "showInContactCard": True, "sortOrder": 3},
                XSS_END_SCRIPT: {"type": "string", "displayName": XSS_END_SCRIPT},
            },
        },
    )
    api.post("interactionschemas", {**REVIEW, "id": "hostile-2", "displayName": XSS_IMG})
    contact = api.post(
        "contacts", {"firstName": XSS_SCRIPT, "lastName": XSS_IMG, "email": "x@example.com"}
    )
    api.post(
        "interactions",
        {
            "contactId": contact["id"],
            "schemaId": "hostile",
            "createdDate": "2024-05-01T10:00:00Z",
            "payload": {
                XSS_SCRIPT: XSS_IMG,
                "shown": XSS_END_SCRIPT,
                "site": XSS_JS_URL,
                "productSku": XSS_SCRIPT,
                XSS_END_SCRIPT: XSS_SCRIPT,
            },
        },
    )
    api.post(
        "interactions",
        {
            "contactId": contact["id"],
            "schemaId": "hostile-2",
            "createdDate": "2024-05-02T10:00:00Z",
            "payload": {"rating": 3, "title": XSS_IMG, "body": XSS_END_SCRIPT},
        },
    )
    log_in(page, live_server, "mia", PASSWORD)

    page.goto(f"{live_server.url}/contacts/")
    assert page.locator(".contact-name").inner_text() == f"{XSS_SCRIPT} {XSS_IMG}"

    page.goto(f"{live_server.url}/contacts/{contact['id']}/")
    assert page.locator("h1.contact-title").inner_text() == f"{XSS_SCRIPT} {XSS_IMG}"
    assert page.locator("table.summary").get_by_text(XSS_END_SCRIPT, exact=True).count() == 1

    page.goto(f"{live_server.url}/contacts/{contact['id']}/?tab=interactions")
    assert page.locator("#interaction-chart svg rect.bar").count() == 2
    # In display-name order, as in the summary.
    assert page.locator("#interaction-chart-legend li .legend-name").all_inner_texts() == [
        XSS_IMG,
        XSS_END_SCRIPT,
    ]
    hostile = page.locator("article.interaction[data-schema=hostile]")
    assert hostile.locator(".schema-name").inner_text() == XSS_END_SCRIPT
    assert hostile.locator("dl.shown dt").all_inner_texts() == [
        XSS_IMG,
        XSS_SCRIPT,
        XSS_SCRIPT,
        "productSku",
    ]
    assert hostile.locator("dl.shown dd").all_inner_texts() == [
        XSS_END_SCRIPT,
        XSS_IMG,
        XSS_JS_URL,
        f"{XSS_SCRIPT} not in the catalog",
    ]
    # A javascript: URL is text, never a link.
    assert hostile.locator("dl.shown a").count() == 0
    hostile.locator("details summary").click()
    assert hostile.locator("details dt").all_inner_texts() == [XSS_END_SCRIPT]
    assert hostile.locator("details dd").all_inner_texts() == [XSS_SCRIPT]
    # Nothing the tenant sent became an element.
    assert page.locator("img").count() == 0
    assert page.evaluate("document.querySelectorAll('script:not([src]):not([type])').length") == 0
    assert page.evaluate("window.__xss === undefined")
    screenshot(page, "contact-card-xss")

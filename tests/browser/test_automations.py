"""Automations in a real browser: a marketer builds one in the editor only by clicking and typing
(on a wide screen and on a phone), a webhook target the operator has not opened is refused at its
box, then an interaction posted by API fires it: the webhook arrives at a local receiver and the
run shows in the run log (filtered by status) and on the contact card."""

import ipaddress
import os
import time
from typing import Any

import pytest
from playwright.sync_api import expect
from rest_framework.test import APIClient

from automations.models import Automation
from interactions.services.roles import MARKETER
from interactions.services.staff import staff_user_create
from interactions.services.tenants import api_key_create
from tests.automations.conftest import Receiver, receiver  # noqa: F401 - the receiver fixture
from tests.browser.conftest import BrowserProblems, log_in, screenshot
from tests.factories import TenantFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-long-password"
PURCHASE = {
    "id": "purchase",
    "displayName": "Made a purchase",
    "jsonSchema": {
        "type": "object",
        "properties": {
            "store": {"type": "string", "displayName": "Store", "enum": ["Solna", "Kista"]},
            "amount": {"type": "number", "displayName": "Amount"},
        },
    },
}
LOOPBACK = (ipaddress.ip_network("127.0.0.1/32"),)


@pytest.fixture
def background(request: Any) -> None:
    if os.environ.get("REDIS_URL"):
        request.getfixturevalue("celery_worker")


def wait_until(check: Any, page: Any, seconds: float = 20) -> None:
    """Poll ``check`` until it is true or the time is up (a bound, not a speed assert)."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        page.wait_for_timeout(100)


def widest_right_edge(page: Any) -> float:
    """How far right the page's own content reaches (the shared top bar is not this page's)."""
    return float(
        page.evaluate(
            "Math.max(...[...document.querySelectorAll('main *')]"
            ".map(e => e.getBoundingClientRect().right))"
        )
    )


def shop(page: Any, width: int) -> APIClient:
    """A tenant with the marketer mia and the purchase schema, the page at ``width``; its API."""
    page.set_viewport_size({"width": width, "height": 900 if width > 400 else 844})
    tenant = TenantFactory(slug="shop", name="Shop")
    staff_user_create(tenant=tenant, username="mia", password=PASSWORD, role=MARKETER)
    _, key = api_key_create(tenant=tenant, name="browser")
    api = APIClient()
    api.credentials(HTTP_APIKEY=key)
    assert api.post("/api/v2/interactionschemas", PURCHASE, format="json").status_code == 200
    return api


@pytest.mark.usefixtures("background")
@pytest.mark.parametrize("width", [1400, 390])
def test_a_marketer_builds_an_automation_by_clicking_and_typing_and_it_fires(
    live_server: Any,
    page: Any,
    problems: BrowserProblems,
    receiver: Receiver,  # noqa: F811 - the imported fixture
    settings: Any,
    width: int,
) -> None:
    settings.AUTOMATIONS_ALLOW_PRIVATE_WEBHOOKS = False
    settings.AUTOMATIONS_WEBHOOK_ALLOWED_NETWORKS = ()
    api = shop(page, width)
    contact = api.post(
        "/api/v2/contacts", {"firstName": "Ada", "lastName": "Lovelace"}, format="json"
    ).json()

    log_in(page, live_server, "mia", PASSWORD)
    page.goto(f"{live_server.url}/automations/")
    page.get_by_role("link", name="New automation").click()
    page.get_by_label("Name").fill("Big spenders")

    # The trigger decides which fields show.
    expect(page.get_by_role("group", name="Of these kinds")).to_be_visible()
    page.get_by_label("Start when").select_option(label="New specific interaction")
    expect(page.get_by_role("group", name="Of these kinds")).to_be_hidden()
    page.get_by_label("Kind of interaction").select_option(label="Made a purchase")
    page.get_by_label("Property").select_option(label="Store")
    expect(page.get_by_label("Value")).to_have_role("combobox")  # the enum's values to pick from
    page.get_by_label("Property").select_option(label="Amount")
    expect(page.get_by_label("Value")).to_have_attribute("type", "number")
    page.get_by_label("Operator").select_option(label="is at least")
    page.get_by_label("Value").fill("100")
    expect(page.get_by_label("Days between entries")).to_be_hidden()
    page.get_by_label("A contact enters").select_option(label="Once per contact")

    # Actions: a tag, then a webhook moved above it; a third added by keyboard and removed.
    first = page.get_by_role("group", name="Action 1")
    first.get_by_label("Action", exact=True).select_option(label="Add a tag")
    expect(first.get_by_label("Webhook URL")).to_be_hidden()
    first.get_by_label("Tag").fill("big-spender")
    page.get_by_role("button", name="Add action").click()
    second = page.get_by_role("group", name="Action 2")
    expect(second.get_by_label("Action", exact=True)).to_be_focused()
    second.get_by_label("Action", exact=True).select_option(label="Send a webhook")
    expect(second.get_by_label("Subject")).to_be_hidden()
    second.get_by_label("Webhook URL").fill(f"{receiver.url}/ok")
    page.get_by_role("button", name="Move action 2 up").click()
    expect(page.get_by_role("status")).to_have_text("Action moved to position 1.")
    page.get_by_role("button", name="Add action").focus()
    page.keyboard.press("Enter")
    page.get_by_role("group", name="Action 3").get_by_label("Action", exact=True).select_option(
        label="Send an email"
    )
    expect(page.get_by_text("What an email subject and body may use")).to_be_visible()
    page.get_by_role("button", name="Remove action 3").click()
    expect(page.get_by_role("group", name="Action 3")).to_have_count(0)
    expect(page.get_by_role("group", name="Action 1").get_by_label("Webhook URL")).to_have_value(
        f"{receiver.url}/ok"
    )
    assert widest_right_edge(page) <= width
    screenshot(page, f"automations-editor-{width}")

    # The receiver is on loopback, which the operator has not opened: refused at its box.
    page.get_by_role("button", name="Create automation").click()
    refusal = page.get_by_role("group", name="Action 1").locator(".error")
    expect(refusal).to_contain_text(
        "The URL must not point at 127.0.0.1: it is a loopback address; webhooks reach only "
        "public addresses unless the network is listed in AUTOMATIONS_WEBHOOK_ALLOWED_NETWORKS."
    )
    screenshot(page, f"automations-editor-refused-{width}")
    assert Automation.objects.count() == 0

    settings.AUTOMATIONS_WEBHOOK_ALLOWED_NETWORKS = LOOPBACK
    page.get_by_role("button", name="Create automation").click()
    expect(page.get_by_text("Automation “Big spenders” created.")).to_be_visible()
    automation = Automation.objects.get()
    assert (automation.operator, automation.condition_value) == ("gte", 100)
    assert automation.actions == [
        {"type": "webhook", "url": f"{receiver.url}/ok"},
        {"type": "tag", "name": "big-spender"},
    ]
    receiver.secrets.add(automation.webhook_secret)

    for amount in (50, 150):
        posted = api.post(
            "/api/v2/interactions",
            {"contactId": contact["id"], "schemaId": "purchase", "payload": {"amount": amount}},
            format="json",
        )
        assert posted.status_code == 200
    wait_until(lambda: receiver.successes(), page)
    (delivery,) = receiver.successes()
    assert delivery.signed
    assert delivery.document["contact"]["id"] == contact["id"]
    assert delivery.document["interaction"]["payload"] == {"amount": 150}

    runs_url = f"{live_server.url}/automations/{automation.public_id}/runs"

    def run_succeeded() -> bool:
        page.goto(runs_url)
        return bool(page.locator("tr[data-run] .badge.succeeded").count())

    wait_until(run_succeeded, page)
    runs = page.get_by_role("region", name="Runs")
    expect(runs.locator("tr[data-run]")).to_have_count(1)
    expect(runs).to_contain_text("Ada Lovelace")
    expect(runs).to_contain_text("Action 1 (webhook), try 1: Succeeded")
    expect(runs).to_contain_text("Action 2 (tag), try 1: Succeeded")

    page.get_by_label("Status").select_option(label="Failed")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("No runs match this filter.")).to_be_visible()
    page.get_by_label("Status").select_option(label="Succeeded")
    page.get_by_role("button", name="Filter").click()
    expect(runs.locator("tr[data-run]")).to_have_count(1)
    assert widest_right_edge(page) <= width
    screenshot(page, f"automations-run-log-{width}")

    page.goto(f"{live_server.url}/contacts/{contact['id']}/")
    panel = page.locator("section.panel", has_text="Automations")
    expect(panel).to_contain_text("Big spenders")
    expect(panel).to_contain_text("Succeeded")


REVIEW = {
    "id": "review",
    "displayName": "Wrote a review",
    "jsonSchema": {
        "type": "object",
        "properties": {
            "productSku": {"type": "string", "displayName": "Product"},
            "rating": {"type": "integer", "displayName": "Rating"},
        },
    },
}


@pytest.mark.parametrize("width", [1400, 390])
def test_a_marketer_picks_a_product_field_for_the_condition(
    live_server: Any, page: Any, problems: BrowserProblems, width: int
) -> None:
    api = shop(page, width)
    assert api.post("/api/v2/interactionschemas", REVIEW, format="json").status_code == 200
    jacket = {
        "sku": "JKT-1",
        "name": "Storm jacket",
        "brand": "Acme",
        "attributes": {"organic": True, "size": 42},
    }
    assert api.post("/api/v2/products", jacket, format="json").status_code == 201

    log_in(page, live_server, "mia", PASSWORD)
    page.goto(f"{live_server.url}/automations/new")
    page.get_by_label("Name").fill("Acme reviews")
    page.get_by_label("Start when").select_option(label="New specific interaction")
    # A schema without productSku offers no product field.
    page.get_by_label("Kind of interaction").select_option(label="Made a purchase")
    expect(page.get_by_label("Property").locator("option", has_text="Product")).to_have_count(0)
    page.get_by_label("Kind of interaction").select_option(label="Wrote a review")
    page.get_by_label("Property").select_option(label="Product price (amount)")
    expect(page.get_by_label("Value")).to_have_attribute("type", "number")
    page.get_by_label("Property").select_option(label="Product attribute: organic")
    expect(page.get_by_label("Value")).to_have_role("combobox")  # yes/no
    page.get_by_label("Property").select_option(label="Product brand")
    expect(page.get_by_label("Operator").locator("option[value=gt]")).to_be_hidden()
    page.get_by_label("Operator").select_option(label="equals")
    page.get_by_label("Value").fill("Acme")
    first = page.get_by_role("group", name="Action 1")
    first.get_by_label("Action", exact=True).select_option(label="Add a tag")
    first.get_by_label("Tag").fill("acme-fan")
    assert widest_right_edge(page) <= width
    screenshot(page, f"automations-editor-product-{width}")

    page.get_by_role("button", name="Create automation").click()
    expect(page.get_by_text("Automation “Acme reviews” created.")).to_be_visible()
    automation = Automation.objects.get()
    assert (automation.property_name, automation.operator, automation.condition_value) == (
        "product.brand",
        "equals",
        "Acme",
    )
    page.goto(f"{live_server.url}/automations/{automation.public_id}")
    expect(page.get_by_label("Property")).to_have_value("product.brand")

"""Automations in a real browser: create one in the editor, post an interaction by API, and see
the run in the run log and on the contact card."""

import os
from typing import Any

import pytest
from rest_framework.test import APIClient

from automations.models import Automation
from interactions.services.roles import MARKETER
from interactions.services.staff import staff_user_create
from interactions.services.tenants import api_key_create
from tests.browser.conftest import BrowserProblems, log_in, screenshot
from tests.factories import TenantFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-long-password"
PURCHASE = {
    "id": "purchase",
    "displayName": "Made a purchase",
    "jsonSchema": {
        "type": "object",
        "properties": {"store": {"type": "string"}, "amount": {"type": "number"}},
    },
}


@pytest.fixture
def background(request: Any) -> None:
    if os.environ.get("REDIS_URL"):
        request.getfixturevalue("celery_worker")


@pytest.mark.usefixtures("background")
def test_a_marketer_creates_an_automation_and_sees_its_run(
    live_server: Any, page: Any, problems: BrowserProblems
) -> None:
    tenant = TenantFactory(slug="shop", name="Shop")
    staff_user_create(tenant=tenant, username="mia", password=PASSWORD, role=MARKETER)
    _, key = api_key_create(tenant=tenant, name="browser")
    api = APIClient()
    api.credentials(HTTP_APIKEY=key)
    assert api.post("/api/v2/interactionschemas", PURCHASE, format="json").status_code == 200
    contact = api.post(
        "/api/v2/contacts", {"firstName": "Ada", "lastName": "Lovelace"}, format="json"
    ).json()

    log_in(page, live_server, "mia", PASSWORD)
    page.click("nav >> text=Automations")
    page.click("text=New automation")
    page.fill("input[name=name]", "Big spenders")
    page.select_option("select[name=trigger]", "specific_interaction")
    page.select_option("select[name=schema]", label="purchase")
    page.fill("input[name=property_name]", "amount")
    page.select_option("select[name=operator]", "gte")
    page.fill("input[name=condition_value]", "100")
    page.select_option("select[name=entry_rule]", "once")
    page.select_option("select[name=action_0_type]", "tag")
    page.fill("input[name=action_0_target]", "big-spender")
    screenshot(page, "automations-editor")
    page.click("button:has-text('Create automation')")
    page.wait_for_selector("text=Automation “Big spenders” created.")
    automation = Automation.objects.get()

    for amount in (50, 150):
        posted = api.post(
            "/api/v2/interactions",
            {"contactId": contact["id"], "schemaId": "purchase", "payload": {"amount": amount}},
            format="json",
        )
        assert posted.status_code == 200

    runs_url = f"{live_server.url}/automations/{automation.public_id}/runs"
    for _ in range(100):
        page.goto(runs_url)
        if page.locator("tr[data-run] .badge.succeeded").count():
            break
        page.wait_for_timeout(200)
    assert page.locator("tr[data-run]").count() == 1
    assert "Ada Lovelace" in page.inner_text("table.runs")
    assert "tag #1, try 1: Succeeded" in page.inner_text("table.runs")
    screenshot(page, "automations-run-log")

    page.goto(f"{live_server.url}/automations/")
    assert "Big spenders" in page.inner_text("table.automations")
    screenshot(page, "automations-list")

    page.goto(f"{live_server.url}/contacts/{contact['id']}/")
    panel = page.locator("section.panel", has_text="Automations")
    assert "Big spenders" in panel.inner_text()
    assert "Succeeded" in panel.inner_text()
    screenshot(page, "automations-contact-card")

"""Refused interactions in the admin, in a real browser: the list fits 1400 px with "Replayed as"
in view, the replayed / not replayed filter, and a replay from the read-only page."""

from typing import Any

import pytest

from interactions.models import Interaction, RefusedInteraction, Tenant
from interactions.services.roles import ADMIN
from interactions.services.staff import staff_user_create
from tests.browser.conftest import BrowserProblems, log_in, screenshot
from tests.factories import ContactFactory, TenantFactory, make_refused_interaction, make_schema

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "a-long-password"
WIDE = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def acme() -> Tenant:
    tenant: Tenant = TenantFactory(slug="acme", name="Acme")
    staff_user_create(tenant=tenant, username="ada", password=PASSWORD, role=ADMIN)
    return tenant


def horizontal_overflow(page: Any) -> int:
    """How many pixels of the page, or of the list's scroll box, are out of view sideways."""
    return int(
        page.evaluate(
            """() => Math.max(
                document.documentElement.scrollWidth - document.documentElement.clientWidth,
                ...Array.from(document.querySelectorAll('.results'),
                              (box) => box.scrollWidth - box.clientWidth))"""
        )
    )


def test_the_list_fits_1400_px_filters_by_replay_and_a_body_is_replayed_from_its_page(
    live_server: Any, page: Any, problems: BrowserProblems, acme: Tenant
) -> None:
    contact = ContactFactory(tenant=acme)
    # A body whose schema did not exist yet, one with a long list of reasons, and one replayed.
    waiting = make_refused_interaction(
        acme,
        {"contactId": str(contact.pk), "schemaId": "review", "payload": {"rating": 4}},
    )
    make_schema(acme, schema_id="order")
    long_reasons = make_refused_interaction(
        acme,
        {
            "contactId": "00000000-0000-4000-8000-000000000000",
            "schemaId": "order",
            "payload": {"rating": "a very long value " * 20},
        },
    )
    RefusedInteraction.objects.filter(pk=long_reasons.pk).update(
        errors=long_reasons.errors * 6, schema_id="a-schema-id-of-sixty-four-characters-" + "x" * 27
    )
    replayed = make_refused_interaction(
        acme, {"contactId": str(contact.pk), "schemaId": "gone", "payload": {}}
    )
    RefusedInteraction.objects.filter(pk=replayed.pk).update(
        replayed_as="0190a000-0000-7000-8000-000000000001"
    )

    page.set_viewport_size(WIDE)
    log_in(page, live_server, "ada", PASSWORD)
    page.goto(f"{live_server.url}/admin/interactions/refusedinteraction/")
    screenshot(page, "admin-refused-list-1400")
    header = page.locator("#result_list thead th", has_text="Replayed as").bounding_box()
    results = page.locator(".results").bounding_box()
    assert header is not None and results is not None
    assert header["x"] + header["width"] <= min(results["x"] + results["width"], WIDE["width"])
    assert horizontal_overflow(page) <= 0
    assert page.locator("#result_list tbody tr").count() == 3

    with page.expect_navigation():
        page.locator("#changelist-filter a", has_text="Not replayed").click()
    assert page.locator("#result_list tbody tr").count() == 2
    with page.expect_navigation():
        page.locator("#changelist-filter a", has_text="Replayed").first.click()
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    assert rows.first.locator("td.field-replayed_as_link a").inner_text() == "0190a000…"

    page.goto(f"{live_server.url}/admin/interactions/refusedinteraction/{long_reasons.pk}/change/")
    reasons = page.locator("ul.refusal-reasons li")
    assert reasons.count() == len(long_reasons.errors) * 6
    assert reasons.first.locator(".refusal-field").inner_text() == long_reasons.errors[0]["field"]
    assert horizontal_overflow(page) <= 0
    screenshot(page, "admin-refused-detail-1400")

    make_schema(acme, schema_id="review")  # the cause of the first refusal, fixed
    page.goto(f"{live_server.url}/admin/interactions/refusedinteraction/{waiting.pk}/change/")
    assert page.locator("input[name=_save], input[name=_continue]").count() == 0
    with page.expect_navigation():
        page.get_by_role("button", name="Replay this body").click()
    interaction = Interaction.objects.get(tenant=acme)
    message = page.locator(".messagelist li.success")
    assert message.inner_text() == (
        f"Refused interaction {waiting.pk} was accepted as interaction {interaction.pk}."
    )
    assert page.get_by_role("button", name="Replay this body").count() == 0
    assert page.locator(".field-replayed_as_interaction a").inner_text() == str(interaction.pk)
    screenshot(page, "admin-refused-replayed-1400")

    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/admin/interactions/refusedinteraction/")
    screenshot(page, "admin-refused-list-390")
    page.goto(f"{live_server.url}/admin/interactions/refusedinteraction/{long_reasons.pk}/change/")
    screenshot(page, "admin-refused-detail-390")

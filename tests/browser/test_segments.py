"""A marketer builds a segment in the browser, watches the live count follow the rule, opens a
member's contact card and downloads the members as CSV."""

import csv
import io
from typing import Any

import pytest

from interactions.services.roles import MARKETER
from interactions.services.staff import staff_user_create
from interactions.services.tags import contact_tag_add
from segments.models import Segment
from tests.browser.conftest import BrowserProblems, log_in, screenshot
from tests.factories import ContactFactory, TenantFactory, make_interaction, make_schema

PASSWORD = "a-long-password"
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _tasks_run_in_process() -> Any:
    """The refresh enqueued when the segment is saved runs in the live server's thread."""
    from engage_site.celery import app

    before = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = before


def test_a_marketer_builds_a_segment_and_uses_its_members(
    live_server: Any, page: Any, problems: BrowserProblems
) -> None:
    tenant = TenantFactory(slug="acme", name="Acme")
    staff_user_create(tenant=tenant, username="mia", password=PASSWORD, role=MARKETER)
    schema = make_schema(tenant)
    ratings = {"Ada": [5, 5], "Bob": [4], "Cy": [2, 1]}
    for name, stars in ratings.items():
        contact = ContactFactory(tenant=tenant, first_name=name, last_name="Lovelace")
        for rating in stars:
            make_interaction(contact, schema, {"rating": rating})
        if name == "Ada":
            contact_tag_add(tenant=tenant, contact=contact, name="vip")
    ContactFactory(tenant=tenant, first_name="Dee", last_name="Quiet")
    log_in(page, live_server, "mia", PASSWORD)

    page.goto(f"{live_server.url}/segments/")
    page.click("text=New segment")
    page.wait_for_load_state()
    live = page.locator("#live-count")
    # The starting rule (an empty "all" group) selects every contact.
    page.wait_for_function("document.getElementById('live-count').dataset.state === 'ok'")
    assert live.inner_text() == "4 contacts match"

    page.get_by_label("Name", exact=True).fill("Happy reviewers")
    page.get_by_role("button", name="+ Condition").click()
    condition = page.get_by_role("group", name="Condition 1")
    # The added condition: at least one review.
    page.wait_for_function(
        "document.getElementById('live-count').textContent === '3 contacts match'"
    )
    condition.get_by_role("button", name="+ Property condition").click()
    where = page.get_by_role("group", name="Condition 1, property condition 1")
    where.get_by_label("Comparison", exact=True).select_option(label="is at least")
    where.get_by_label("Value", exact=True).fill("4")
    page.wait_for_function(
        "document.getElementById('live-count').textContent === '2 contacts match'"
    )
    condition.get_by_label("Times", exact=True).fill("2")
    page.wait_for_function(
        "document.getElementById('live-count').textContent === '1 contact matches'"
    )
    condition.get_by_label("Times", exact=True).fill("1")
    page.wait_for_function(
        "document.getElementById('live-count').textContent === '2 contacts match'"
    )
    screenshot(page, "segment-builder")
    page.click("text=Save segment")
    page.wait_for_load_state()
    segment = Segment.objects.get(tenant=tenant)
    assert segment.member_count == 2

    page.goto(f"{live_server.url}/segments/")
    assert page.locator("table.segments .member-count").inner_text() == "2"
    screenshot(page, "segment-list")
    page.locator("table.segments").get_by_role("link", name="Happy reviewers", exact=True).click()
    page.wait_for_load_state()
    names = page.locator("table.members .contact-name").all_inner_texts()
    assert sorted(names) == ["Ada Lovelace", "Bob Lovelace"]
    screenshot(page, "segment-members")

    with page.expect_download() as download_info:
        page.click("text=Download CSV")
    download = download_info.value
    with open(download.path(), encoding="utf-8") as exported:
        rows = list(csv.reader(io.StringIO(exported.read())))
    assert sorted(row[3] for row in rows[1:]) == ["Ada", "Bob"]

    page.click("text=Ada Lovelace")
    page.wait_for_load_state()
    assert page.locator("h1.contact-title").inner_text() == "Ada Lovelace"
    panel = page.get_by_role("link", name="Happy reviewers")
    assert panel.count() == 1
    screenshot(page, "segment-contact-card")

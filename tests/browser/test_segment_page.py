"""An admin reads a segment's page in the browser at desktop and phone widths: its size over
time (and the same as a table), recent entries and exits, members page by page, the CSV named
after the segment, and the delete question."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from interactions.services.roles import ADMIN
from interactions.services.staff import staff_user_create
from segments.models import Segment, SegmentMembership
from tests.browser.conftest import BrowserProblems, log_in, screenshot
from tests.factories import ContactFactory, TenantFactory

PASSWORD = "a-long-password"
pytestmark = pytest.mark.django_db(transaction=True)


def a_segment_with_history() -> Segment:
    """30 members now: 34 entered over the last 20 days, 4 of them left."""
    tenant = TenantFactory(slug="acme", name="Acme")
    staff_user_create(tenant=tenant, username="ada", password=PASSWORD, role=ADMIN)
    segment = Segment.objects.create(
        tenant=tenant, name="VIP customers", rule={"type": "all", "rules": []}
    )
    now = timezone.now()
    for n in range(34):
        entered = now - timedelta(days=20 - n * 0.5)
        SegmentMembership.objects.create(
            tenant=tenant,
            segment=segment,
            contact=ContactFactory(tenant=tenant, first_name=f"Member{n:02}"),
            entered_at=entered,
            exited_at=entered + timedelta(hours=6) if n % 9 == 1 else None,
        )
    return segment


@pytest.mark.parametrize(("width", "height"), [(1400, 900), (390, 844)])
def test_an_admin_reads_a_segment_s_page_and_deletes_it(
    live_server: Any, page: Any, problems: BrowserProblems, width: int, height: int
) -> None:
    segment = a_segment_with_history()
    page.set_viewport_size({"width": width, "height": height})
    log_in(page, live_server, "ada", PASSWORD)
    page.goto(f"{live_server.url}/segments/")
    page.get_by_role("link", name="VIP customers", exact=True).click()
    page.wait_for_load_state()

    chart = page.get_by_role("img", name="Members at the end of each day")
    assert chart.count() == 1
    assert (chart.locator("title").text_content() or "").endswith("30 now.")
    assert page.locator(".member-total").inner_text() == "30"
    page.get_by_text("Show as a table").click()
    assert page.get_by_role("region", name="Size per day").locator("tbody tr").count() == 30
    screenshot(page, f"segment-page-{width}")

    # The members' table scrolls inside its card, which fits the window.
    box = page.locator(".members-card").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
    assert page.locator(".position").inner_text() == "1\N{EN DASH}25 of 30"
    page.get_by_role("link", name="Next page").click()
    page.wait_for_load_state()
    assert page.locator(".position").inner_text() == "26\N{EN DASH}30 of 30"
    assert page.locator("table.members tbody tr").count() == 5

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    today = timezone.localdate()  # the tenant's time zone is UTC, as the settings' default
    assert download_info.value.suggested_filename == f"vip-customers-{today.isoformat()}.csv"

    page.get_by_role("link", name="Delete segment").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Delete the segment “VIP customers”?").count() == 1
    screenshot(page, f"segment-delete-{width}")
    page.get_by_role("button", name="Delete segment").click()
    page.wait_for_load_state()
    assert page.url == f"{live_server.url}/segments/"
    assert "Segment “VIP customers” deleted." in page.locator(".messages").inner_text()
    assert not Segment.objects.filter(pk=segment.pk).exists()

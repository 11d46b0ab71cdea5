"""Signing in and out in a real browser."""

from typing import Any

import pytest

from interactions.services.roles import MARKETER
from interactions.services.staff import staff_user_create
from tests.browser.conftest import BrowserProblems, log_in, screenshot
from tests.factories import TenantFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_marketer_logs_in_lands_on_contacts_and_logs_out(
    live_server: Any, page: Any, problems: BrowserProblems
) -> None:
    tenant = TenantFactory(slug="acme", name="Acme")
    staff_user_create(tenant=tenant, username="mia", password="a-long-password", role=MARKETER)

    page.goto(f"{live_server.url}/contacts/")
    assert page.url.startswith(f"{live_server.url}/login/")
    screenshot(page, "login")

    log_in(page, live_server, "mia", "a-long-password")
    assert page.url == f"{live_server.url}/contacts/"
    assert page.locator(".topbar .tenant").inner_text() == "Acme"

    page.click("text=Log out")
    page.wait_for_load_state()
    assert page.url.startswith(f"{live_server.url}/login/")


def test_a_wrong_password_is_refused(
    live_server: Any, page: Any, problems: BrowserProblems
) -> None:
    tenant = TenantFactory(slug="acme")
    staff_user_create(tenant=tenant, username="mia", password="a-long-password", role=MARKETER)
    log_in(page, live_server, "mia", "wrong")
    assert "didn't match" in page.locator(".error").inner_text()

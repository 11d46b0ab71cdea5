"""The admin and the pages seen by another tenant's staff, in a real browser."""

from typing import Any

import pytest

from interactions.services.roles import ADMIN, MARKETER
from interactions.services.staff import staff_user_create
from tests.browser.conftest import BrowserProblems, log_in, screenshot
from tests.factories import ContactFactory, TenantFactory, make_interaction, make_schema

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "a-long-password"


@pytest.fixture
def acme_data() -> dict[str, Any]:
    acme = TenantFactory(slug="acme", name="Acme")
    staff_user_create(tenant=acme, username="ada", password=PASSWORD, role=ADMIN)
    schema = make_schema(acme)
    contact = ContactFactory(tenant=acme, first_name="Astrid", last_name="Lind")
    interaction = make_interaction(contact, schema, {"rating": 5, "productSku": "SKU-1"})
    return {"schema": schema, "contact": contact, "interaction": interaction}


def test_an_admin_browses_the_admin_lists(
    live_server: Any, page: Any, problems: BrowserProblems, acme_data: dict[str, Any]
) -> None:
    log_in(page, live_server, "ada", PASSWORD)
    for model in ("contact", "interaction", "refusedinteraction", "apikey", "interactionschema"):
        response = page.goto(f"{live_server.url}/admin/interactions/{model}/")
        assert response.status == 200
        screenshot(page, f"admin-{model}-list")
    page.goto(
        f"{live_server.url}/admin/interactions/interaction/{acme_data['interaction'].pk}/change/"
    )
    assert "SKU-1" in page.locator("pre.raw-copy").inner_text()
    screenshot(page, "admin-interaction-raw-copy")


@pytest.mark.parametrize("role", [ADMIN, MARKETER])
def test_another_tenants_staff_get_404s_for_the_first_tenants_pages(
    live_server: Any, page: Any, problems: BrowserProblems, acme_data: dict[str, Any], role: str
) -> None:
    globex = TenantFactory(slug="globex", name="Globex")
    staff_user_create(tenant=globex, username="gus", password=PASSWORD, role=role)
    log_in(page, live_server, "gus", PASSWORD)
    contact, schema = acme_data["contact"], acme_data["schema"]
    for path in (
        f"/contacts/{contact.pk}/",
        f"/admin/interactions/contact/{contact.pk}/change/",
        f"/admin/interactions/interactionschema/{schema.pk}/change/",
        f"/admin/interactions/interaction/{acme_data['interaction'].pk}/change/",
    ):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 404, path
    # Not found pages log a console error for the 404 document itself; that's expected here.
    problems.console_errors.clear()

"""Lists cost the same number of queries whatever their length: the run log page, the API's
automation and run lists (the run lists also filtered), and the contact card panel."""

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from automations.models import AutomationRun
from automations.services.runs import automation_run_execute
from interactions.services.events import interaction_events_dispatch
from interactions.services.roles import MARKETER
from interactions.services.staff import staff_user_create
from tests.automations.conftest import purchase_schema, webhook_automation
from tests.conftest import Persona
from tests.factories import ContactFactory, make_interaction

TAG = [{"type": "tag", "name": "t"}]


def queries(call: Any) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured)


def grow(alice: Persona, automation: Any, contacts: int) -> None:
    schema = purchase_schema(alice.tenant, schema_id=f"s{AutomationRun.objects.count()}")
    for _ in range(contacts):
        make_interaction(ContactFactory(tenant=alice.tenant), schema, payload={"store": "x"})
    interaction_events_dispatch()
    for run in AutomationRun.objects.filter(status="pending"):
        automation_run_execute(run_id=str(run.pk))


@pytest.mark.parametrize(
    "path", ["page", "page-filtered", "api-runs", "api-runs-filtered", "api-list"]
)
def test_lists_cost_the_same_queries_for_one_run_and_for_twenty(alice: Persona, path: str) -> None:
    user = staff_user_create(tenant=alice.tenant, username="m", password="pw-123456", role=MARKETER)
    client = Client()
    client.force_login(user)
    automation = webhook_automation(alice.tenant, "https://x.example/", actions=TAG)
    url = {
        "page": f"/automations/{automation.public_id}/runs",
        "page-filtered": f"/automations/{automation.public_id}/runs?status=succeeded",
        "api-runs": f"/api/v2/automations/{automation.public_id}/runs",
        "api-runs-filtered": f"/api/v2/automations/{automation.public_id}/runs"
        "?status=succeeded,failed",
        "api-list": "/api/v2/automations",
    }[path]
    page = path.startswith("page")
    fetch = (lambda: client.get(url)) if page else (lambda: alice.client.get(url))
    grow(alice, automation, 1)
    fetch()  # warm up: the first request of a key also records its use
    few = queries(fetch)
    grow(alice, automation, 20)
    webhook_automation(alice.tenant, "https://y.example/", actions=TAG, name="Second")
    assert queries(fetch) == few


def test_the_contact_card_panel_costs_one_query(alice: Persona) -> None:
    from automations.views import contact_card_panel_context

    contact = ContactFactory(tenant=alice.tenant)
    schema = purchase_schema(alice.tenant)
    for name in ("a", "b", "c"):
        webhook_automation(
            alice.tenant, "https://x.example/", actions=TAG, name=name, entry_rule="every_time"
        )
    for _ in range(3):
        make_interaction(contact, schema, payload={"store": "x"})
    interaction_events_dispatch()

    def render() -> None:
        context = contact_card_panel_context(None, alice.tenant, contact)  # type: ignore[arg-type]
        assert len(context["runs"]) == 9
        assert all(run.automation.name for run in context["runs"])

    assert queries(render) == 1

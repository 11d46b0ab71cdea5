"""The Automations pages: list, create and edit, run log with retry, send test, the contact card
panel; and another tenant's automations are not found."""

from typing import Any

import pytest
from django.test import Client

from automations.models import Automation, AutomationRun
from automations.services.runs import automation_run_execute
from interactions.services.events import interaction_events_dispatch
from tests.automations.conftest import Receiver, purchase_schema, webhook_automation
from tests.conftest import Persona
from tests.factories import ContactFactory, make_interaction


def action_rows(*actions: dict[str, str]) -> dict[str, str]:
    """Action rows as the editor posts them (a formset prefixed "actions"), in the order given."""
    rows = {"actions-TOTAL_FORMS": str(len(actions)), "actions-INITIAL_FORMS": "0"}
    for index, action in enumerate(actions):
        rows.update({f"actions-{index}-{key}": value for key, value in action.items()})
    return rows


WELCOME_ACTIONS = action_rows(
    {"type": "tag", "tag": "welcomed"},
    {"type": "email", "subject": "Hi {{ contact.first_name }}",
     "body": "Welcome to {{ interaction.payload.store }}"},
)  # fmt: skip


def form_data(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "Welcome",
        "is_active": "on",
        "trigger": "specific_interaction",
        "schema": "",
        "property_name": "store",
        "operator": "one_of",
        "condition_value": "Solna, Kista",
        "entry_rule": "once",
        **WELCOME_ACTIONS,
        **overrides,
    }


def test_a_marketer_creates_edits_and_lists_an_automation(alice: Persona, marketer: Client) -> None:
    schema = purchase_schema(alice.tenant)
    created = marketer.post("/automations/new", form_data(schema=schema.pk))
    assert created.status_code == 302, created.content.decode()[:3000]
    automation = Automation.objects.get()
    assert automation.condition_value == ["Solna", "Kista"]
    assert automation.actions == [
        {"type": "tag", "name": "welcomed"},
        {"type": "email", "subject": "Hi {{ contact.first_name }}",
         "body": "Welcome to {{ interaction.payload.store }}"},
    ]  # fmt: skip
    edit_url = f"/automations/{automation.public_id}"
    page = marketer.get(edit_url)
    assert page.status_code == 200 and b"Solna, Kista" in page.content

    edited = marketer.post(
        edit_url,
        form_data(schema=schema.pk, entry_rule="every_n_days", entry_period_days="7",
                  operator="equals", condition_value="Solna"),
    )  # fmt: skip
    assert edited.status_code == 302, (
        edited.context["form"].errors,
        edited.context["form"].actions.errors,
    )
    automation.refresh_from_db()
    assert (automation.entry_period_days, automation.condition_value) == (7, "Solna")

    listing = marketer.get("/automations/")
    assert listing.status_code == 200 and b"Welcome" in listing.content


def test_the_editor_shows_the_services_refusals(alice: Persona, marketer: Client) -> None:
    schema = purchase_schema(alice.tenant)
    refused = marketer.post(
        "/automations/new", form_data(schema=schema.pk, operator="gt", condition_value="x")
    )
    assert refused.status_code == 200
    assert refused.context["form"].errors == {
        "operator": ["Greater/less than applies to numbers and dates only."]
    }
    assert "Greater/less than applies to numbers and dates only." in refused.content.decode()
    assert Automation.objects.count() == 0


def test_the_run_log_shows_runs_with_attempts_and_retries_a_failed_one(
    alice: Persona, marketer: Client, settings: Any
) -> None:
    schema = purchase_schema(alice.tenant)
    automation = webhook_automation(alice.tenant, "http://127.0.0.1:9/x")
    # Allowed when saved, refused when sent (the operator closed private targets since).
    settings.AUTOMATIONS_ALLOW_PRIVATE_WEBHOOKS = False
    contact = ContactFactory(tenant=alice.tenant, first_name="Ann", last_name="Lee")
    make_interaction(contact, schema, payload={"store": "x"})
    interaction_events_dispatch()
    run = AutomationRun.objects.get()
    automation_run_execute(run_id=str(run.pk))

    log = marketer.get(f"/automations/{automation.public_id}/runs")
    assert log.status_code == 200
    html = log.content.decode()
    assert "Ann Lee" in html and "Failed" in html and "refused address" in html
    assert "Retry" in html

    retried = marketer.post(f"/automations/{automation.public_id}/runs/{run.pk}/retry")
    assert retried.status_code == 302
    run.refresh_from_db()
    assert run.status == "pending"
    automation_run_execute(run_id=str(run.pk))  # fails again: the second try, not a new first
    attempts = marketer.get(f"/automations/{automation.public_id}/runs").content.decode()
    assert "Action 1 (webhook), try 1: Failed" in attempts
    assert "Action 1 (webhook), try 2: Failed" in attempts

    card = marketer.get(f"/contacts/{contact.pk}/")
    assert card.status_code == 200
    assert "Automations" in card.content.decode() and "Welcome" in card.content.decode()


def test_send_test_posts_a_signed_sample_to_the_webhook(
    alice: Persona, marketer: Client, receiver: Receiver
) -> None:
    automation = webhook_automation(alice.tenant, f"{receiver.url}/ok", receiver)
    sent = marketer.post(
        f"/automations/{automation.public_id}/test-webhook",
        {"url": f"{receiver.url}/ok"},
        follow=True,
    )
    assert "was delivered" in sent.content.decode()
    assert receiver.run_ids() == {"test": 1}
    other = marketer.post(
        f"/automations/{automation.public_id}/test-webhook", {"url": "http://10.0.0.1/"}
    )
    assert other.status_code == 404


def test_another_tenant_s_automation_is_not_found(
    alice: Persona, bob: Persona, marketer: Client
) -> None:
    theirs = webhook_automation(bob.tenant, "https://hooks.example.com/")
    for url in (
        f"/automations/{theirs.public_id}",
        f"/automations/{theirs.public_id}/runs",
        "/automations/not-a-uuid",
    ):
        assert marketer.get(url).status_code == 404
    assert marketer.post(f"/automations/{theirs.public_id}/rotate-secret").status_code == 404
    theirs.refresh_from_db()
    assert theirs.webhook_secret == Automation.objects.get(pk=theirs.pk).webhook_secret


NON_GLOBAL_TARGETS = [
    ("http://127.0.0.1/in", "127.0.0.1", "is a loopback address"),
    ("http://10.0.0.1/in", "10.0.0.1", "is a private address"),
    ("http://169.254.169.254/", "169.254.169.254", "is a link-local address"),
    ("http://[::1]/", "::1", "is a loopback address"),
    ("http://[fe80::1]/", "fe80::1", "is a link-local address"),
    ("http://[::ffff:10.0.0.1]/", "::ffff:a00:1", "leads to 10.0.0.1, a private address"),
    ("http://[2002:7f00:1::1]/", "2002:7f00:1::1", "leads to 127.0.0.1, a loopback address"),
    ("http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", "2001:0:4136:e378:8000:63bf:3fff:fdd2",
     "is a Teredo address"),
    ("http://[64:ff9b::7f00:1]/", "64:ff9b::7f00:1", "leads to 127.0.0.1, a loopback address"),
]  # fmt: skip


@pytest.mark.parametrize(("url", "address", "problem"), NON_GLOBAL_TARGETS)
def test_the_editor_refuses_a_non_public_webhook_target_on_its_row_naming_the_setting(
    alice: Persona, marketer: Client, settings: Any, url: str, address: str, problem: str
) -> None:
    settings.AUTOMATIONS_ALLOW_PRIVATE_WEBHOOKS = False
    settings.AUTOMATIONS_WEBHOOK_ALLOWED_NETWORKS = ()
    refused = marketer.post(
        "/automations/new",
        form_data(trigger="new_interaction", **{"actions-1-type": "webhook", "actions-1-url": url}),
    )
    assert refused.status_code == 200
    assert refused.context["form"].errors == {}
    assert refused.context["form"].actions.errors[1] == {
        "url": [
            f"The URL must not point at {address}: it {problem}; webhooks reach only public "
            "addresses unless the network is listed in AUTOMATIONS_WEBHOOK_ALLOWED_NETWORKS."
        ]
    }
    assert "AUTOMATIONS_WEBHOOK_ALLOWED_NETWORKS" in refused.content.decode()
    assert Automation.objects.count() == 0


def test_the_editor_shows_the_secret_and_rotates_it_with_a_grace_period(
    alice: Persona, marketer: Client
) -> None:
    automation = webhook_automation(alice.tenant, "https://hooks.example.com/in")
    old = automation.webhook_secret
    page = marketer.get(f"/automations/{automation.public_id}").content.decode()
    assert old in page and "webhook-signature" in page and "also signs" not in page

    rotated = marketer.post(f"/automations/{automation.public_id}/rotate-secret", follow=True)
    html = rotated.content.decode()
    automation.refresh_from_db()
    assert automation.webhook_secret != old and automation.webhook_secret in html
    assert automation.previous_webhook_secret == old and old not in html
    assert "The previous secret also signs deliveries until" in html

"""The automation editor through the real HTTP stack: what it offers for the chosen trigger, the
action rows (order, removal, at most ten), typed condition values, and refusals at their field."""

from typing import Any

import pytest
from django.test import Client

from automations.models import Automation
from tests.automations.test_views import action_rows, form_data
from tests.conftest import Persona
from tests.factories import make_schema

VISIT = {
    "type": "object",
    "properties": {
        "store": {"type": "string", "displayName": "Store", "enum": ["Solna", "Kista"]},
        "spent": {"type": "number", "displayName": "Amount spent"},
        "member": {"type": "boolean", "displayName": "Is a member"},
        "at": {"type": "string", "format": "date-time", "displayName": "Visited at"},
    },
}


@pytest.fixture
def visit(alice: Persona) -> Any:
    return make_schema(alice.tenant, schema_id="store_visit", json_schema=VISIT,
                       display_name="Visited a store")  # fmt: skip


def test_it_offers_schemas_and_their_properties_by_display_name(
    marketer: Client, visit: Any
) -> None:
    page = marketer.get("/automations/new").content.decode()
    assert f'<option value="{visit.pk}">Visited a store</option>' in page
    assert f'<optgroup label="Visited a store" data-schema="{visit.pk}">' in page
    assert '<option value="spent">Amount spent</option>' in page
    # The page's script reads each property's type to give the value box its kind.
    assert '"name": "store", "label": "Store", "type": "string", "format": null, ' \
        '"enum": ["Solna", "Kista"]' in page  # fmt: skip


def test_it_saves_the_actions_in_the_order_asked_for_without_the_removed_ones(
    marketer: Client, visit: Any
) -> None:
    rows = action_rows(
        {"type": "tag", "tag": "first", "ORDER": "3"},
        {"type": "tag", "tag": "dropped", "ORDER": "1", "DELETE": "on"},
        {"type": "webhook", "url": "https://hooks.example.com/in", "ORDER": "1"},
        {"type": "", "ORDER": "2"},  # a row left without a type is no action
    )
    created = marketer.post("/automations/new", form_data(trigger="new_interaction", **rows))
    assert created.status_code == 302
    assert Automation.objects.get().actions == [
        {"type": "webhook", "url": "https://hooks.example.com/in"},
        {"type": "tag", "name": "first"},
    ]


def test_it_takes_ten_actions_and_refuses_an_eleventh(marketer: Client) -> None:
    ten = [{"type": "tag", "tag": f"t{n}"} for n in range(10)]
    assert marketer.post("/automations/new", form_data(**action_rows(*ten),
                         trigger="new_interaction")).status_code == 302  # fmt: skip
    assert len(Automation.objects.get().actions) == 10

    eleven = action_rows(*ten, {"type": "tag", "tag": "t10"})
    refused = marketer.post("/automations/new", form_data(name="More", trigger="new_interaction",
                            **eleven))  # fmt: skip
    assert refused.status_code == 200
    assert refused.context["form"].actions.non_form_errors() == [
        "An automation takes at most 10 actions."
    ]
    assert "An automation takes at most 10 actions." in refused.content.decode()


def test_it_asks_for_an_action_and_for_the_fields_of_the_chosen_type(marketer: Client) -> None:
    none = marketer.post(
        "/automations/new", form_data(trigger="new_interaction", **action_rows({"type": ""}))
    )
    assert none.context["form"].actions.non_form_errors() == ["Add at least one action."]
    blank = marketer.post(
        "/automations/new",
        form_data(trigger="new_interaction", **action_rows({"type": "email", "subject": "Hi"})),
    )
    assert blank.context["form"].actions.errors == [{"body": ["Enter the body for this action."]}]
    assert Automation.objects.count() == 0


def test_a_service_refusal_shows_at_the_action_row_it_is_about(marketer: Client) -> None:
    rows = action_rows(
        {"type": "tag", "tag": "fine"},
        {"type": "email", "subject": "Hi", "body": "{% include 'x' %}"},
    )
    refused = marketer.post("/automations/new", form_data(trigger="new_interaction", **rows))
    assert refused.status_code == 200
    errors = refused.context["form"].actions.errors
    assert errors[0] == {} and list(errors[1]) == ["body"]
    assert "include" in errors[1]["body"][0]


def test_fields_of_another_trigger_or_entry_rule_are_ignored(marketer: Client) -> None:
    created = marketer.post(
        "/automations/new",
        form_data(trigger="new_interaction", schema="999", property_name="nothing",
                  operator="gt", condition_value="x", entry_period_days="-3"),
    )  # fmt: skip
    assert created.status_code == 302
    automation = Automation.objects.get()
    assert (automation.schema, automation.property_name, automation.entry_period_days) == (
        None, "", None,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("property_name", "operator", "posted", "stored"),
    [
        ("spent", "gte", ["100"], 100),
        ("member", "equals", ["true"], True),
        ("store", "one_of", ["Solna", "Kista"], ["Solna", "Kista"]),  # a list's several choices
        ("store", "equals", ["Solna"], "Solna"),
        # A date and time picked without an offset is in the tenant's time zone.
        ("at", "gte", ["2026-03-01T09:30"], "2026-03-01T09:30:00+01:00"),
    ],
)
def test_condition_values_are_stored_with_the_property_s_type(
    alice: Persona, marketer: Client, visit: Any,
    property_name: str, operator: str, posted: list[str], stored: Any,
) -> None:  # fmt: skip
    alice.tenant.timezone = "Europe/Stockholm"
    alice.tenant.save(update_fields=["timezone"])
    data = form_data(schema=visit.pk, property_name=property_name, operator=operator)
    data["condition_value"] = posted
    created = marketer.post("/automations/new", data)
    assert created.status_code == 302, created.context["form"].errors
    assert Automation.objects.get().condition_value == stored


def test_the_edit_page_shows_the_saved_actions_and_condition(marketer: Client, visit: Any) -> None:
    marketer.post("/automations/new", form_data(schema=visit.pk, property_name="spent",
                  operator="gt", condition_value="250"))  # fmt: skip
    automation = Automation.objects.get()
    page = marketer.get(f"/automations/{automation.public_id}").content.decode()
    assert '<option value="spent" selected>Amount spent</option>' in page
    assert 'name="condition_value" value="250"' in page
    assert 'name="actions-0-tag" value="welcomed"' in page
    assert 'name="actions-1-subject" value="Hi {{ contact.first_name }}"' in page
    assert 'name="actions-TOTAL_FORMS" value="3"' in page  # the two actions and a blank row


def test_another_tenant_s_schema_can_not_be_chosen(
    bob: Persona, marketer: Client, visit: Any
) -> None:
    theirs = make_schema(bob.tenant, schema_id="store_visit", json_schema=VISIT)
    page = marketer.get("/automations/new").content.decode()
    assert f'value="{theirs.pk}"' not in page
    for data in (
        form_data(schema=theirs.pk, property_name="spent", operator="gt", condition_value="1"),
        form_data(trigger="new_interaction", schemas=[theirs.pk]),
    ):
        refused = marketer.post("/automations/new", data)
        assert refused.status_code == 200
        assert set(refused.context["form"].errors) <= {"schema", "schemas"}
        assert refused.context["form"].errors
    assert Automation.objects.count() == 0

"""Tenant B's key can't see, change or detect tenant A's automations or runs, on any route.

For every automations route and method, B acting on A's object gets exactly what B gets acting on
an id nobody has, and nothing changes (the harness is ``tests.isolation``); a resolver walk makes a
new route without a case fail.
"""

import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from automations.models import Automation, AutomationRun
from automations.services.automations import automation_create
from interactions.services.events import interaction_events_dispatch
from tests.automations.conftest import purchase_schema
from tests.conftest import Persona
from tests.factories import ContactFactory, make_interaction
from tests.isolation import (
    Args,
    Case,
    TwoTenants,
    api_routes,
    assert_routes_covered,
    by_id,
    case_ids,
    case_run,
    plain,
)

ACTIONS = [{"type": "tag", "name": "t"}]


@dataclass
class World(TwoTenants):
    a_automation: Automation
    a_run: AutomationRun
    b_automation: Automation


def nobody(_world: World | None = None) -> str:
    return str(uuid.uuid4())


def a_id(world: World) -> str:
    return str(world.a_automation.public_id)


def b_id(world: World) -> str:
    return str(world.b_automation.public_id)


def a_run(world: World) -> str:
    return str(world.a_run.pk)


def b_view(world: World) -> dict[str, Any]:
    """B's automation, as B reads it."""
    return {
        "id": b_id(world),
        "name": "B's",
        "active": True,
        "trigger": "new_interaction",
        "schemaIds": [],
        "schemaId": None,
        "property": "",
        "operator": "",
        "value": None,
        "entryRule": "once",
        "entryPeriodDays": None,
        "actions": ACTIONS,
        "flaggedReason": "",
        "created": "<generated>",
        "updated": "<generated>",
    }


def naming_schema(schema_id: str) -> Args:
    return Args(body={**BODY, "schemaIds": [schema_id]}, target=schema_id)


BODY = {"name": "Mine", "trigger": "new_interaction", "actions": ACTIONS}
NO_SUCH_SCHEMA = {
    "statusCode": 400,
    "errorCode": "InvalidRequest",
    "message": "The automation is not valid.",
    "errors": [
        {
            "field": "schemaIds",
            "code": "invalid",
            "message": "names no interaction schema (<target>)",
        }
    ],
}

CASES: list[Case[World]] = [
    Case(
        "automation-collection",
        "GET",
        on_a=plain(),
        expected=lambda w: (200, [b_view(w)]),
        generated=("0.created", "0.updated"),
    ),
    Case(
        "automation-collection",
        "POST",
        on_a=lambda w: naming_schema("a-schema"),
        on_nothing=lambda w: naming_schema("no-such-schema"),
        expected=lambda w: (400, NO_SUCH_SCHEMA),
    ),
    Case(
        "automation-detail",
        "GET",
        on_a=by_id("automation_id", a_id),
        on_nothing=by_id("automation_id", nobody),
    ),
    Case(
        "automation-detail",
        "PUT",
        on_a=by_id("automation_id", a_id, BODY),
        on_nothing=by_id("automation_id", nobody, BODY),
    ),
    Case(
        "automation-detail",
        "DELETE",
        on_a=by_id("automation_id", a_id),
        on_nothing=by_id("automation_id", nobody),
    ),
    Case(
        "automation-secret-rotate",
        "POST",
        on_a=by_id("automation_id", a_id, {}),
        on_nothing=by_id("automation_id", nobody, {}),
    ),
    Case(
        "automation-run-collection",
        "GET",
        on_a=by_id("automation_id", a_id),
        on_nothing=by_id("automation_id", nobody),
    ),
    Case(
        "automation-run-detail",
        "GET",
        variant="A's run of A's automation",
        on_a=lambda w: Args(kwargs={"automation_id": a_id(w), "run_id": a_run(w)}),
        on_nothing=lambda w: Args(kwargs={"automation_id": nobody(), "run_id": nobody()}),
    ),
    Case(
        "automation-run-detail",
        "GET",
        variant="A's run under B's automation",
        on_a=lambda w: Args(kwargs={"automation_id": b_id(w), "run_id": a_run(w)}),
        on_nothing=lambda w: Args(kwargs={"automation_id": b_id(w), "run_id": nobody()}),
    ),
]


@pytest.fixture
def world(alice: Persona, bob: Persona) -> World:
    a_schema = purchase_schema(alice.tenant, schema_id="a-schema")
    a_automation = automation_create(
        tenant=alice.tenant, name="A's", trigger="new_interaction", actions=ACTIONS
    )
    make_interaction(ContactFactory(tenant=alice.tenant), a_schema, payload={"store": "x"})
    interaction_events_dispatch()
    b_automation = automation_create(
        tenant=bob.tenant, name="B's", trigger="new_interaction", actions=ACTIONS
    )
    return World(alice, bob, a_automation, AutomationRun.objects.get(), b_automation)


def what_a_sees(world: World) -> list[Any]:
    """The automations' and runs' rows, and A's automation and its runs as A reads them."""
    a, automation_id = world.alice, a_id(world)
    reads = [
        a.get(path)
        for path in (
            "automations",
            f"automations/{automation_id}",
            f"automations/{automation_id}/runs",
            f"automations/{automation_id}/runs/{a_run(world)}",
        )
    ]
    assert all(read.status_code == 200 for read in reads)
    return [
        list(Automation.objects.order_by("pk").values()),
        list(AutomationRun.objects.order_by("pk").values()),
        *((read.status_code, read.json()) for read in reads),
    ]


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_b_gets_the_same_answer_for_a_s_objects_as_for_nothing_and_changes_nothing(
    world: World, case: Case[World]
) -> None:
    case_run(world, case, what_a_sees)


def test_every_automations_route_and_method_has_an_isolation_case() -> None:
    assert_routes_covered(CASES, app="automations")


def test_automations_routes_are_all_named_automation() -> None:
    names = {name for name, _ in api_routes("automations")}
    assert names
    assert all(name.startswith("automation") for name in names)

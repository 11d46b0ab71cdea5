"""Tenant B's key can't see, change or detect tenant A's automations or runs, on any route.

For every automations route and method, B acting on A's object gets exactly what B gets acting on
an id nobody has, and nothing changes; a resolver walk makes a new route without a case fail.
"""

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import resolve

from automations.models import Automation, AutomationRun
from automations.services.automations import automation_create
from interactions.services.events import interaction_events_dispatch
from tests.api_routes import api_routes
from tests.automations.conftest import purchase_schema
from tests.conftest import Persona
from tests.factories import ContactFactory, make_interaction

ACTIONS = [{"type": "tag", "name": "t"}]


@dataclass
class World:
    alice: Persona
    bob: Persona
    a_automation: Automation
    a_run: AutomationRun
    b_automation: Automation


@dataclass(frozen=True)
class Case:
    route: str
    method: str
    on_a: Callable[[World], str]
    on_nothing: Callable[[World], str] | None = None
    expected: Callable[[World], tuple[int, Any]] | None = None
    body: dict[str, Any] | None = None

    @property
    def id(self) -> str:
        return f"{self.method} {self.route}"


def nobody(_world: World | None = None) -> str:
    return str(uuid.uuid4())


def a_id(world: World) -> str:
    return str(world.a_automation.public_id)


def b_id(world: World) -> str:
    return str(world.b_automation.public_id)


BODY = {"name": "Mine", "trigger": "new_interaction", "actions": ACTIONS}

CASES = [
    Case(
        "automation-collection",
        "GET",
        on_a=lambda w: "automations",
        expected=lambda w: (200, [b_id(w)]),
    ),
    Case(
        "automation-collection",
        "POST",
        on_a=lambda w: "automations",
        body={**BODY, "schemaIds": ["a-schema"]},
        expected=lambda w: (400, "InvalidRequest"),
    ),
    Case("automation-detail", "GET", on_a=lambda w: f"automations/{a_id(w)}",
         on_nothing=lambda w: f"automations/{nobody()}"),
    Case("automation-detail", "PUT", on_a=lambda w: f"automations/{a_id(w)}",
         on_nothing=lambda w: f"automations/{nobody()}", body=BODY),
    Case("automation-detail", "DELETE", on_a=lambda w: f"automations/{a_id(w)}",
         on_nothing=lambda w: f"automations/{nobody()}"),
    Case("automation-run-collection", "GET", on_a=lambda w: f"automations/{a_id(w)}/runs",
         on_nothing=lambda w: f"automations/{nobody()}/runs"),
    Case(
        "automation-run-detail",
        "GET",
        on_a=lambda w: f"automations/{a_id(w)}/runs/{w.a_run.pk}",
        on_nothing=lambda w: f"automations/{nobody()}/runs/{nobody()}",
    ),
    Case(
        "automation-run-detail",
        "GET",
        on_a=lambda w: f"automations/{b_id(w)}/runs/{w.a_run.pk}",
        on_nothing=lambda w: f"automations/{b_id(w)}/runs/{nobody()}",
    ),
]  # fmt: skip


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


def send(persona: Persona, method: str, path: str, body: Any) -> tuple[int, Any]:
    url = persona.url(path)
    if body is not None:
        response = getattr(persona.client, method.lower())(url, body, format="json")
    else:
        response = getattr(persona.client, method.lower())(url)
    return response.status_code, json.loads(response.content) if response.content else None


def snapshot() -> list[Any]:
    return [
        list(Automation.objects.order_by("pk").values()),
        list(AutomationRun.objects.order_by("pk").values()),
    ]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_b_gets_the_same_answer_for_a_s_objects_as_for_nothing_and_changes_nothing(
    world: World, case: Case
) -> None:
    path = case.on_a(world)
    assert resolve(world.bob.url(path).split("?")[0]).url_name == case.route
    before = snapshot()
    status, body = send(world.bob, case.method, path, case.body)
    if case.on_nothing is not None:
        assert (status, body) == send(world.bob, case.method, case.on_nothing(world), case.body)
    else:
        assert case.expected is not None
        expected_status, expected = case.expected(world)
        assert status == expected_status
        if isinstance(body, list):
            assert [item["id"] for item in body] == expected
        else:
            assert body["errorCode"] == expected
    assert snapshot() == before


def test_every_automations_route_and_method_has_an_isolation_case() -> None:
    routes = {(name, method) for name, method in api_routes() if name.startswith("automation")}
    covered = {(case.route, case.method) for case in CASES}
    assert routes - covered == set(), "add a case to CASES for each of these"
    assert covered - routes == set(), "these cases name routes that no longer exist"


def test_automations_routes_are_all_named_automation() -> None:
    from automations.api.urls import urlpatterns

    assert all(str(pattern.name).startswith("automation") for pattern in urlpatterns)

"""Tenant B's key can't see, change or detect tenant A's segments on any segment route: B acting
on A's segment gets exactly what B gets for an id nobody has, and nothing changes. A second test
walks the URL resolver so that a segment route added without a case here breaks the build."""

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.urls import resolve

from interactions.models import InteractionSchema
from segments.models import Segment
from segments.services.membership import segment_refresh
from tests.api_routes import api_routes
from tests.conftest import Persona
from tests.factories import ContactFactory, make_interaction, make_schema

RULE = {"type": "count", "schemaId": "review"}


@dataclass
class World:
    alice: Persona
    bob: Persona
    a_segment: Segment
    b_segment: Segment
    a_schema: InteractionSchema


@dataclass(frozen=True)
class Call:
    path: str
    body: Any = None
    target: str = ""


@dataclass(frozen=True)
class Case:
    route: str
    method: str
    on_a: Callable[[World], Call]
    on_nothing: Callable[[World], Call] | None = None
    expected: Callable[[World], tuple[int, Any]] | None = None
    generated: tuple[str, ...] = ()
    creates: bool = False

    @property
    def id(self) -> str:
        return f"{self.method} {self.route}"


def a_segment(world: World) -> str:
    return str(world.a_segment.pk)


def nothing(_world: World) -> str:
    return str(uuid.UUID(int=7))


def by_id(path: str, target: Callable[[World], str], body: Any = None) -> Callable[[World], Call]:
    def call(world: World) -> Call:
        value = target(world)
        return Call(path.format(id=value), body, target=value)

    return call


WRITE = {"name": "Mallory's", "rule": RULE}


def b_view(world: World) -> dict[str, Any]:
    segment = world.b_segment
    return {
        "id": str(segment.pk),
        "name": "Bob's",
        "description": "",
        "rule": RULE,
        "isActive": True,
        "problem": "",
        "refreshMinutes": 60,
        "memberCount": 1,
        "lastRefreshed": segment.last_refreshed_at.isoformat().replace("+00:00", "Z")
        if segment.last_refreshed_at
        else None,
        "created": "<generated>",
        "modified": "<generated>",
    }


CASES = [
    Case(
        "segment-collection",
        "GET",
        on_a=lambda w: Call("segments"),
        expected=lambda w: (200, [b_view(w)]),
        generated=("0.created", "0.modified"),
    ),
    Case(
        "segment-collection",
        "POST",
        on_a=lambda w: Call("segments", WRITE),
        on_nothing=lambda w: Call("segments", WRITE),
        generated=("id", "created", "modified"),
        creates=True,
    ),
    Case(
        "segment-draft-count",
        "POST",
        on_a=lambda w: Call("segments/count", {"rule": RULE}),
        expected=lambda w: (200, {"count": 1}),
    ),
    Case(
        "segment-detail", "GET", by_id("segments/{id}", a_segment), by_id("segments/{id}", nothing)
    ),
    Case(
        "segment-detail",
        "PUT",
        by_id("segments/{id}", a_segment, WRITE),
        by_id("segments/{id}", nothing, WRITE),
    ),
    Case(
        "segment-detail",
        "DELETE",
        by_id("segments/{id}", a_segment),
        by_id("segments/{id}", nothing),
    ),
    Case(
        "segment-member-list",
        "GET",
        by_id("segments/{id}/members", a_segment),
        by_id("segments/{id}/members", nothing),
    ),
    Case(
        "segment-count",
        "GET",
        by_id("segments/{id}/count", a_segment),
        by_id("segments/{id}/count", nothing),
    ),
]


@pytest.fixture
def world(alice: Persona, bob: Persona) -> World:
    a_schema = make_schema(alice.tenant)
    b_schema = make_schema(bob.tenant)
    for persona, schema in ((alice, a_schema), (bob, b_schema)):
        make_interaction(ContactFactory(tenant=persona.tenant), schema)
    a = Segment.objects.create(tenant=alice.tenant, name="Alice's", rule=RULE)
    b = Segment.objects.create(tenant=bob.tenant, name="Bob's", rule=RULE)
    segment_refresh(segment=a)
    segment_refresh(segment=b)
    b.refresh_from_db()
    return World(alice=alice, bob=bob, a_segment=a, b_segment=b, a_schema=a_schema)


def send(persona: Persona, method: str, call: Call) -> tuple[int, Any]:
    url = persona.url(call.path)
    if call.body is not None:
        response = getattr(persona.client, method.lower())(url, call.body, format="json")
    else:
        response = getattr(persona.client, method.lower())(url)
    if not response.content:
        return response.status_code, None
    text = response.content.decode()
    if call.target:
        text = text.replace(call.target, "<target>")
    return response.status_code, json.loads(text)


def without_generated(body: Any, paths: tuple[str, ...]) -> Any:
    body = json.loads(json.dumps(body))
    for path in paths:
        *parents, last = path.split(".")
        node = body
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, dict) and last in node:
            node[last] = "<generated>"
    return body


def row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def what_a_sees(world: World) -> list[tuple[int, Any]]:
    a, segment_id = world.alice, world.a_segment.pk
    paths = [
        "segments",
        f"segments/{segment_id}",
        f"segments/{segment_id}/members",
        f"segments/{segment_id}/count",
    ]
    return [(r.status_code, r.json()) for r in (a.get(path) for path in paths)]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_b_gets_the_same_answer_for_a_s_segments_as_for_nothing_and_changes_nothing(
    world: World, case: Case
) -> None:
    on_a = case.on_a(world)
    assert resolve(world.bob.url(on_a.path)).url_name == case.route
    a_before = what_a_sees(world)
    counts_before = row_counts()
    if case.on_nothing is not None:
        expected_status, expected_body = send(world.bob, case.method, case.on_nothing(world))
    else:
        assert case.expected is not None
        expected_status, expected_body = case.expected(world)
    counts_after_nothing = row_counts()
    status, body = send(world.bob, case.method, on_a)
    counts_after_a = row_counts()

    assert status == expected_status
    assert without_generated(body, case.generated) == without_generated(
        expected_body, case.generated
    )
    changed_by_nothing = {k: counts_after_nothing[k] - counts_before[k] for k in counts_before}
    changed_by_a = {k: counts_after_a[k] - counts_after_nothing[k] for k in counts_before}
    assert changed_by_a == changed_by_nothing
    if not case.creates:
        assert set(changed_by_a.values()) == {0}
    assert what_a_sees(world) == a_before


def test_every_segment_route_and_method_has_an_isolation_case() -> None:
    routes = {(name, method) for name, method in api_routes() if name.startswith("segment")}
    covered = {(case.route, case.method) for case in CASES}
    assert routes, "the segment routes are mounted"
    assert routes - covered == set(), "add a case to CASES for each of these"
    assert covered - routes == set(), "these cases name routes that no longer exist"


def test_b_can_t_continue_a_s_member_listing_with_a_s_token(world: World) -> None:
    contacts = [ContactFactory(tenant=world.alice.tenant) for _ in range(51)]
    for contact in contacts:
        make_interaction(contact, world.a_schema)
    segment_refresh(segment=world.a_segment)
    page = world.alice.get(f"segments/{world.a_segment.pk}/members").json()
    token = page["links"][1]["href"].split("continuation=")[1]
    on_b = world.bob.get(f"segments/{world.b_segment.pk}/members?continuation={token}")
    assert on_b.status_code == 400
    assert on_b.json()["errorCode"] == "InvalidContinuation"

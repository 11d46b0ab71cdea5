"""Tenant B's key can't see, change or detect tenant A's segments on any segment route, nor can B's
staff on the segment pages: B acting on A's segment gets exactly what B gets for an id nobody has,
and nothing changes (the harness is ``tests.isolation``). A second test walks the URL resolver so
that a segment route added without a case here breaks the build."""

import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from interactions.models import InteractionSchema
from segments.models import Segment
from segments.services.membership import segment_refresh
from tests.conftest import Persona
from tests.factories import ContactFactory, make_interaction, make_schema
from tests.isolation import (
    ADMIN,
    MARKETER,
    PAGES,
    Case,
    TwoTenants,
    assert_routes_covered,
    by_id,
    case_ids,
    case_run,
    plain,
)

RULE = {"type": "count", "schemaId": "review"}


@dataclass
class World(TwoTenants):
    a_segment: Segment
    b_segment: Segment
    a_schema: InteractionSchema


def a_segment(world: World) -> str:
    return str(world.a_segment.pk)


def nothing(_world: World) -> str:
    return str(uuid.UUID(int=7))


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
        "refreshFailure": None,
        "created": "<generated>",
        "modified": "<generated>",
    }


CASES: list[Case[World]] = [
    Case(
        "segment-collection",
        "GET",
        on_a=plain(),
        expected=lambda w: (200, [b_view(w)]),
        generated=("0.created", "0.modified"),
    ),
    Case(
        "segment-collection",
        "POST",
        on_a=plain(WRITE),
        on_nothing=plain(WRITE),
        generated=("id", "created", "modified"),
        creates=True,
    ),
    Case(
        "segment-draft-count",
        "POST",
        on_a=plain({"rule": RULE}),
        expected=lambda w: (200, {"count": 1}),
    ),
    Case(
        "segment-detail",
        "GET",
        on_a=by_id("segment_id", a_segment),
        on_nothing=by_id("segment_id", nothing),
    ),
    Case(
        "segment-detail",
        "PUT",
        on_a=by_id("segment_id", a_segment, WRITE),
        on_nothing=by_id("segment_id", nothing, WRITE),
    ),
    Case(
        "segment-detail",
        "DELETE",
        on_a=by_id("segment_id", a_segment),
        on_nothing=by_id("segment_id", nothing),
    ),
    Case(
        "segment-member-list",
        "GET",
        on_a=by_id("segment_id", a_segment),
        on_nothing=by_id("segment_id", nothing),
    ),
    Case(
        "segment-count",
        "GET",
        on_a=by_id("segment_id", a_segment),
        on_nothing=by_id("segment_id", nothing),
    ),
    # --- The segment pages, as B's staff ---
    *(
        Case(
            route,
            method,
            on_a=by_id("segment_id", a_segment),
            on_nothing=by_id("segment_id", nothing),
            actor=role,
            namespace=PAGES,
        )
        for route, method, role in [
            ("segment-edit", "GET", MARKETER),
            ("segment-members", "GET", MARKETER),
            ("segment-export", "GET", MARKETER),
            ("segment-refresh", "POST", ADMIN),
            ("segment-delete", "POST", ADMIN),
        ]
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


def what_a_sees(world: World) -> list[tuple[int, Any]]:
    a, segment_id = world.alice, world.a_segment.pk
    paths = [
        "segments",
        f"segments/{segment_id}",
        f"segments/{segment_id}/members",
        f"segments/{segment_id}/count",
    ]
    return [(r.status_code, r.json()) for r in (a.get(path) for path in paths)]


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_b_gets_the_same_answer_for_a_s_segments_as_for_nothing_and_changes_nothing(
    world: World, case: Case[World]
) -> None:
    case_run(world, case, what_a_sees)


def test_every_segment_route_and_method_has_an_isolation_case() -> None:
    assert_routes_covered(CASES, app="segments")


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

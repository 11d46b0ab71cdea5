"""Extreme and odd values through every layer, on the database the suite runs on (SQLite, or
PostgreSQL with DATABASE_URL): validate → store → read → list → raw → segment count and refresh →
trigger → webhook body, and the API boundaries of schemas, segments and automations.

No answer is a 5xx, no background path (event dispatch, segment refresh, run execution) raises,
and no job is left behind: every event is dispatched and every run ends. Rows stored before the
bounds existed (written straight to the table here) are read and compared without error too.
"""

import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.utils import timezone
from hypothesis import example, given
from hypothesis import strategies as st

from automations.models import Automation, AutomationRun
from automations.services.automations import automation_create
from automations.services.runs import automation_run_execute
from interactions.models import Contact, Interaction, InteractionEvent, InteractionSchema
from interactions.services.events import interaction_event_record, interaction_events_dispatch
from segments.models import Segment
from segments.services.membership import segment_refresh
from tests.conftest import Persona
from tests.factories import ContactFactory
from tests.value_strategies import (
    BOUNDS_SETTINGS,
    DOUBLE_MAX,
    OddDateTime,
    fits_a_double,
    numbers,
    odd_date_times,
    odd_dates,
)

ODD_SCHEMA = {
    "type": "object",
    "properties": {
        "n": {"type": "number", "addToSegmentation": True},
        "i": {"type": "integer", "addToSegmentation": True},
        "at": {"type": "string", "format": "date-time", "addToSegmentation": True},
        "day": {"type": "string", "format": "date", "addToSegmentation": True},
    },
}


class _Hooks(list[Any]):
    url = ""


@pytest.fixture
def hooks() -> Iterator[_Hooks]:
    """The webhook bodies delivered to a receiver on loopback, parsed."""
    received = _Hooks()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            received.append(json.loads(body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    received.url = f"http://127.0.0.1:{server.server_address[1]}/in"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield received
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _loopback_webhooks(settings: Any) -> None:
    settings.AUTOMATIONS_ALLOW_PRIVATE_WEBHOOKS = True


def post_raw(persona: Persona, path: str, document: Any) -> Any:
    """POST the document as exactly this JSON text (a 400-digit integer stays one)."""
    return persona.client.post(
        persona.url(path), data=json.dumps(document), content_type="application/json"
    )


@pytest.fixture
def odd_schema(alice: Persona) -> InteractionSchema:
    created = post_raw(
        alice, "interactionschemas", {"id": "odd", "displayName": "Odd", "jsonSchema": ODD_SCHEMA}
    )
    assert created.status_code == 200, created.json()
    return InteractionSchema.objects.get(tenant=alice.tenant, schema_id="odd")


def _where(name: str, op: str, value: Any) -> dict[str, Any]:
    condition = {"property": name, "op": op, "value": value}
    return {"type": "count", "schemaId": "odd", "where": [condition]}


@pytest.fixture
def watchers(alice: Persona, odd_schema: InteractionSchema, hooks: _Hooks) -> list[Automation]:
    """Automations watching each property at its widest, and a segment using each of them."""
    actions = [{"type": "webhook", "url": hooks.url}]
    conditions = [
        ("n", "gte", -DOUBLE_MAX),
        ("i", "lte", DOUBLE_MAX),
        ("i", "one_of", [0, 2**63, -(2**63)]),
        ("at", "gte", "0001-01-01T00:00:00Z"),
        ("day", "lte", "9999-12-31"),
    ]
    created = [
        automation_create(
            tenant=alice.tenant,
            name=f"Watch {name}",
            trigger=Automation.Trigger.SPECIFIC_INTERACTION,
            schema=odd_schema,
            property_name=name,
            operator=operator,
            condition_value=value,
            entry_rule=Automation.EntryRule.EVERY_TIME,
            actions=actions,
        )
        for name, operator, value in conditions
    ]
    rule = {
        "type": "any",
        "rules": [
            _where("n", "gte", -DOUBLE_MAX),
            _where("i", "lte", 2**63 - 1),
            _where("at", "gte", "0001-01-01T00:00:00+00:00"),
            _where("day", "lte", "9999-12-31"),
        ],
    }
    assert post_raw(alice, "segments", {"name": "Odd", "rule": rule}).status_code == 201
    return created


def _settle(segment: Segment | None = None) -> None:
    """Run what the worker would: dispatch every event, execute every run, refresh the segment;
    nothing may raise or be left pending."""
    interaction_events_dispatch()
    assert not InteractionEvent.objects.filter(dispatched_at__isnull=True).exists()
    for run_id in AutomationRun.objects.filter(status=AutomationRun.Status.PENDING).values_list(
        "pk", flat=True
    ):
        automation_run_execute(run_id=str(run_id))
    assert not AutomationRun.objects.exclude(status=AutomationRun.Status.SUCCEEDED).exists()
    for each in Segment.objects.all() if segment is None else [segment]:
        segment_refresh(segment=each)
        each.refresh_from_db()
        assert each.is_active, each.problem


def same_json(left: dict[str, Any], right: dict[str, Any]) -> bool:
    """Equal as JSON documents: a number is the same number however it is written (PostgreSQL's
    jsonb writes 1e308 out as 309 digits, which Python reads back as an int)."""

    def number(value: Any) -> Any:
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        return float(value) if numeric and fits_a_double(value) else value

    return {k: number(v) for k, v in left.items()} == {k: number(v) for k, v in right.items()}


def _count(persona: Persona, rule: dict[str, Any]) -> Any:
    response = post_raw(persona, "segments/count", {"rule": rule})
    assert response.status_code == 200, response.json()
    return response.json()["count"]


def _odd(text: str) -> OddDateTime:
    """One of the cases found by hand, spelled out (offset in minutes, None past ±23:59)."""
    date_part, clock = text[:10], text[11:19]
    year, month, day = (int(part) for part in date_part.split("-"))
    hour, minute, second = (int(part) for part in clock.split(":"))
    offset = text[19:].replace("Z", "+00:00")
    minutes = None if int(offset[1:3]) > 23 else (int(offset[1:3]) * 60 + int(offset[4:6]))
    if minutes is not None and offset[0] == "-":
        minutes = -minutes
    return OddDateTime(text, year, month, day, hour, minute, second, "", minutes, False)


@BOUNDS_SETTINGS
@given(
    n=numbers,
    i=numbers,
    at=odd_date_times(),
    day=odd_dates,
    created=st.one_of(st.none(), odd_date_times()),
)
# The cases found by hand: the year 10000 in UTC, an offset PostgreSQL can't cast, 400 digits.
@example(n=1, i=1, at=_odd("2024-01-01T00:00:00+20:00"), day="2024-01-01", created=None)
@example(n=10**400, i=2**64, at=_odd("2024-01-01T00:00:00Z"), day="9999-12-31", created=None)
@example(
    n=-(10**400),
    i=-(2**63),
    at=_odd("0001-01-01T00:00:00+14:00"),
    day="0001-01-01",
    created=_odd("9999-12-31T23:59:59-14:00"),
)
@example(
    n=0,
    i=0,
    at=_odd("9999-12-31T23:59:59-23:59"),
    day="x",
    created=_odd("0001-01-01T00:00:00-23:59"),
)
def test_odd_values_go_through_every_layer_without_an_error(
    alice: Persona,
    watchers: list[Automation],
    hooks: _Hooks,
    n: int | float,
    i: int | float,
    at: OddDateTime,
    day: str,
    created: OddDateTime | None,
) -> None:
    contact = ContactFactory(tenant=alice.tenant)
    document: dict[str, Any] = {
        "contactId": str(contact.pk),
        "schemaId": "odd",
        "payload": {"n": n, "i": i, "at": at.text, "day": day},
    }
    if created is not None:
        document["createdDate"] = created.text
    posted = post_raw(alice, "interactions", document)
    if created is not None and created.instant() is None:
        assert posted.status_code == 400, posted.json()
        assert [error["field"] for error in posted.json()["errors"]] == ["createdDate"]
        return
    assert posted.status_code == 200, posted.json()
    interaction_id = posted.json()["id"]

    read = alice.get(f"interactions/{interaction_id}")
    assert read.status_code == 200
    kept = read.json()["payload"]
    assert ("n" in kept) is fits_a_double(n)
    assert ("at" in kept) is (at.instant() is not None)
    assert same_json(kept, {name: document["payload"][name] for name in kept})
    if created is not None:
        instant = created.instant()
        assert instant is not None
        assert read.json()["createdDate"].startswith(instant.isoformat()[:19])
    listed = alice.get("interactions", data={"contactId": str(contact.pk), "schemaId": "odd"})
    assert listed.status_code == 200
    assert [item["id"] for item in listed.json()["items"]] == [interaction_id]
    raw = alice.get(f"interactions/{interaction_id}/raw")
    assert (raw.status_code, json.loads(raw.content)) == (200, document)

    _settle()
    delivered = [body for body in hooks if body["interaction"]["id"] == interaction_id]
    assert delivered or not kept  # every kept property is watched at its widest
    assert all(same_json(body["interaction"]["payload"], kept) for body in delivered)

    if "at" in kept:  # the instant compares equal to itself, whatever offset it was written with
        for op in ("eq", "gte", "lte"):
            assert _count(alice, _where("at", op, at.text)) >= 1
    for name in ("n", "i"):
        if name in kept and isinstance(kept[name], float):
            assert _count(alice, _where(name, "eq", kept[name])) >= 1

    assert alice.delete(f"interactions/{interaction_id}").status_code == 204
    assert alice.get(f"interactions/{interaction_id}").status_code == 404
    _settle()


@BOUNDS_SETTINGS
@given(
    keyword=st.sampled_from(
        [
            *("enum", "const", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"),
            *("minLength", "maxLength"),
        ]
    ),
    value=numbers,
)
def test_a_schema_with_odd_numbers_is_created_or_refused_naming_the_keyword(
    alice: Persona, keyword: str, value: int | float
) -> None:
    type_ = "string" if keyword in ("minLength", "maxLength") else "number"
    spec = {"type": type_, keyword: [value] if keyword == "enum" else value}
    schema_id = f"s{uuid.uuid4().hex[:12]}"
    document = {
        "id": schema_id,
        "displayName": "Odd",
        "jsonSchema": {"type": "object", "properties": {"p": spec}},
    }
    response = post_raw(alice, "interactionschemas", document)
    assert response.status_code in (200, 400), response.json()
    if response.status_code == 400:
        fields = [error["field"] for error in response.json()["errors"]]
        assert all(field.startswith(f"jsonSchema.properties.p.{keyword}") for field in fields)
    else:
        assert keyword != "const" and fits_a_double(value)
        assert alice.delete(f"interactionschemas/{schema_id}").status_code == 204


@BOUNDS_SETTINGS
@given(
    number=numbers,
    when=st.one_of(odd_date_times().map(lambda odd: odd.text), odd_dates),
    window=odd_date_times(),
    count=st.one_of(numbers, st.sampled_from([2**31 - 1, 2**31, 2**63, 2**64])),
)
@pytest.mark.usefixtures("watchers")
def test_rules_with_odd_values_are_counted_saved_and_refreshed_or_refused(
    alice: Persona, number: int | float, when: str, window: OddDateTime, count: int | float
) -> None:
    rule = {
        "type": "all",
        "rules": [
            {
                "type": "count",
                "schemaId": "odd",
                "count": {"op": "<=", "value": count},
                "window": {"type": "after", "date": window.text},
                "where": [
                    {"property": "n", "op": "lt", "value": number},
                    {"property": "i", "op": "in", "values": [number, 0]},
                    {"property": "at", "op": "gte", "value": when},
                    {"property": "day", "op": "ne", "value": when},
                ],
            },
            {"type": "first", "schemaId": "odd", "op": "before", "date": window.text},
        ],
    }
    counted = post_raw(alice, "segments/count", {"rule": rule})
    assert counted.status_code in (200, 400), counted.json()
    if counted.status_code == 400:
        assert all(error["field"].startswith("rule.") for error in counted.json()["errors"])
    saved = post_raw(alice, "segments", {"name": "Odd values", "rule": rule})
    assert saved.status_code == (201 if counted.status_code == 200 else 400), saved.json()
    if saved.status_code == 201:
        segment = Segment.objects.get(pk=saved.json()["id"])
        _settle(segment)
        assert alice.delete(f"segments/{saved.json()['id']}").status_code == 204


@BOUNDS_SETTINGS
@given(
    kind=st.sampled_from([("n", "number"), ("at", "date-time"), ("day", "date")]),
    operator=st.sampled_from(["equals", "one_of", "gte"]),
    value=st.one_of(numbers, odd_date_times().map(lambda odd: odd.text), odd_dates),
)
def test_automations_with_odd_values_are_created_or_refused_naming_the_value(
    alice: Persona, odd_schema: InteractionSchema, kind: tuple[str, str], operator: str, value: Any
) -> None:
    body = {
        "name": "Odd",
        "trigger": "specific_interaction",
        "schemaId": "odd",
        "property": kind[0],
        "operator": operator,
        "value": [value] if operator == "one_of" else value,
        "entryRule": "every_time",
        "actions": [{"type": "webhook", "url": "https://hooks.example.com/in"}],
    }
    response = post_raw(alice, "automations", body)
    assert response.status_code in (201, 400), response.json()
    if response.status_code == 400:
        assert [error["field"] for error in response.json()["errors"]] == ["value"]
    elif kind[1] == "number":
        assert fits_a_double(value)
    else:
        assert alice.delete(f"automations/{response.json()['id']}").status_code == 204


STORED_BEFORE_THE_BOUNDS = [
    # Kept by earlier versions: offsets PostgreSQL (past ±15:59) and SQLite (past ±14:59) can't
    # read, a lowercase t, instants out of range in UTC, and numbers no double holds.
    {"at": "2024-01-01T00:00:00+20:00", "n": 10**400, "i": 2**64},
    {"at": "2024-01-01t00:00:00.123456789-23:59", "n": -(10**400), "i": -(2**64)},
    {"at": "9999-12-31T23:59:59-14:00", "day": "9999-12-31", "n": 1e308},
    {"at": "0001-01-01T00:00:00+14:00", "day": "0001-01-01", "i": int(DOUBLE_MAX) + 2**970},
]


@pytest.mark.parametrize("payload", STORED_BEFORE_THE_BOUNDS)
def test_rows_stored_before_the_bounds_are_read_compared_and_triggered_on_without_error(
    alice: Persona, watchers: list[Automation], payload: dict[str, Any]
) -> None:
    contact: Contact = ContactFactory(tenant=alice.tenant)
    now = timezone.now()
    interaction = Interaction.objects.create(
        tenant=alice.tenant,
        contact=contact,
        schema=watchers[0].schema,
        created_date=now,
        received_at=now,
        payload=payload,
        dropped_properties=[],
    )
    interaction_event_record(interaction=interaction, kind=InteractionEvent.Kind.RECEIVED)
    _settle()
    assert same_json(alice.get(f"interactions/{interaction.pk}").json()["payload"], payload)
    for op in ("eq", "lt", "gte"):
        _count(alice, _where("at", op, "2024-01-01T00:00:00Z"))
        _count(alice, _where("n", op, 0))
        _count(alice, _where("i", op, 2**63 - 1))
    _count(alice, _where("day", "lte", "2024-01-01"))
    assert alice.delete(f"interactions/{interaction.pk}").status_code == 204
    _settle()

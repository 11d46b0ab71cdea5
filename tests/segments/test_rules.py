"""Each operator and window of the rule language, pinned on the database the suite runs on
(SQLite by default, PostgreSQL with DATABASE_URL), with time frozen."""

from datetime import datetime, timedelta
from typing import Any

import pytest

from interactions.models import Contact, InteractionSchema
from interactions.services.interactions import interaction_delete
from interactions.services.tags import contact_tag_add
from segments.rules.checks import rule_problems
from segments.rules.document import RULE_JSON_SCHEMA
from segments.selectors import rule_contacts, segment_catalog
from tests.conftest import Persona
from tests.factories import ContactFactory, make_interaction

DAY = timedelta(days=1)


def selected(persona: Persona, rule: dict[str, Any]) -> set[str]:
    catalog = segment_catalog(tenant=persona.tenant)
    assert rule_problems(rule, catalog=catalog) == []
    contacts = rule_contacts(tenant=persona.tenant, rule=rule, catalog=catalog)
    return {contact.first_name for contact in contacts}


def person(persona: Persona, name: str, **fields: Any) -> Contact:
    return ContactFactory(tenant=persona.tenant, first_name=name, **fields)


def reviews(contact: Contact, schema: InteractionSchema, *ages: timedelta, now: datetime) -> None:
    for age in ages:
        make_interaction(contact, schema, {"rating": 4}, created_date=now - age)


def count_rule(op: str, window: dict[str, Any] | None = None, **count: Any) -> dict[str, Any]:
    rule: dict[str, Any] = {"type": "count", "schemaId": "review", "count": {"op": op, **count}}
    if window is not None:
        rule["window"] = window
    return rule


@pytest.fixture
def people(alice: Persona, schemas: dict[str, InteractionSchema], frozen: datetime) -> None:
    """none: no interactions; one: 1 review 10 days ago; two: 2 reviews (5 and 30 days ago);
    three: 3 reviews (1, 2 and 31 days ago)."""
    review = schemas["review"]
    person(alice, "none")
    reviews(person(alice, "one"), review, 10 * DAY, now=frozen)
    reviews(person(alice, "two"), review, 5 * DAY, 30 * DAY, now=frozen)
    reviews(person(alice, "three"), review, 1 * DAY, 2 * DAY, 31 * DAY, now=frozen)


# --- counts ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("people")
@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (count_rule(">=", value=2), {"two", "three"}),
        (count_rule(">=", value=3), {"three"}),
        (count_rule(">=", value=0), {"none", "one", "two", "three"}),
        (count_rule("<=", value=2), {"none", "one", "two"}),
        (count_rule("<=", value=0), {"none"}),
        (count_rule("=", value=2), {"two"}),
        (count_rule("=", value=0), {"none"}),
        (count_rule("between", min=1, max=2), {"one", "two"}),
        (count_rule("between", min=0, max=1), {"none", "one"}),
        (count_rule("between", min=3, max=1), set()),
        ({"type": "count", "schemaId": "review"}, {"one", "two", "three"}),
    ],
    ids=lambda value: str(value)[:60] if isinstance(value, dict) else None,
)
def test_it_compares_counts_over_all_of_the_tenant_s_contacts(
    alice: Persona, rule: dict[str, Any], expected: set[str]
) -> None:
    assert selected(alice, rule) == expected


@pytest.mark.usefixtures("people")
def test_last_n_days_includes_an_interaction_exactly_n_days_old(alice: Persona) -> None:
    # "two" has one at exactly 30 days; "three" one at 31 days.
    last_30 = {"type": "lastDays", "days": 30}
    assert selected(alice, count_rule(">=", last_30, value=2)) == {"two", "three"}
    last_29 = {"type": "lastDays", "days": 29}
    assert selected(alice, count_rule(">=", last_29, value=2)) == {"three"}
    assert selected(alice, count_rule("=", last_29, value=1)) == {"one", "two"}


@pytest.mark.usefixtures("people")
def test_date_windows_include_their_bounds(alice: Persona, frozen: datetime) -> None:
    exactly_5_days = (frozen - 5 * DAY).isoformat()
    exactly_10_days = (frozen - 10 * DAY).isoformat()
    between = {"type": "between", "from": exactly_10_days, "to": exactly_5_days}
    assert selected(alice, count_rule(">=", between, value=1)) == {"one", "two"}
    before = {"type": "before", "date": exactly_10_days}
    assert selected(alice, count_rule(">=", before, value=1)) == {"one", "two", "three"}
    after = {"type": "after", "date": exactly_5_days}
    assert selected(alice, count_rule(">=", after, value=1)) == {"two", "three"}
    after_more = {"type": "after", "date": (frozen - 5 * DAY + timedelta(seconds=1)).isoformat()}
    assert selected(alice, count_rule(">=", after_more, value=1)) == {"three"}
    assert selected(alice, count_rule(">=", {"type": "allTime"}, value=3)) == {"three"}


@pytest.mark.usefixtures("people")
def test_last_n_days_rolls_with_the_clock(alice: Persona, time_machine: Any) -> None:
    rule = count_rule(">=", {"type": "lastDays", "days": 30}, value=2)
    assert selected(alice, rule) == {"two", "three"}
    time_machine.shift(timedelta(seconds=1))
    assert selected(alice, rule) == {"three"}


def test_a_deleted_interaction_no_longer_counts(
    alice: Persona, schemas: dict[str, InteractionSchema], frozen: datetime
) -> None:
    contact = person(alice, "ann")
    first = make_interaction(contact, schemas["review"], {"rating": 5}, created_date=frozen - DAY)
    make_interaction(contact, schemas["review"], {"rating": 5}, created_date=frozen - DAY)
    assert selected(alice, count_rule(">=", value=2)) == {"ann"}
    interaction_delete(tenant=alice.tenant, interaction=first)
    assert selected(alice, count_rule(">=", value=2)) == set()
    assert selected(alice, count_rule("=", value=1)) == {"ann"}


def test_interactions_of_another_schema_or_tenant_do_not_count(
    alice: Persona, bob: Persona, schemas: dict[str, InteractionSchema], frozen: datetime
) -> None:
    from tests.factories import make_schema

    ann = person(alice, "ann")
    make_interaction(ann, schemas["purchase"], {"amount": 3}, created_date=frozen)
    bob_review = make_schema(bob.tenant)
    make_interaction(person(bob, "ben"), bob_review, created_date=frozen)
    assert selected(alice, count_rule(">=", value=1)) == set()
    assert selected(alice, count_rule("=", value=0)) == {"ann"}


# --- first / last / never ---------------------------------------------------------------------


@pytest.mark.usefixtures("people")
@pytest.mark.parametrize(
    ("kind", "op", "bound", "expected"),
    [
        # earliest: one -10d, two -30d, three -31d; latest: one -10d, two -5d, three -1d
        ("first", "before", 30, {"two", "three"}),
        ("first", "after", 30, {"one", "two"}),
        ("last", "before", 5, {"one", "two"}),
        ("last", "after", 5, {"two", "three"}),
        ("first", "withinLastDays", 30, {"one", "two"}),
        ("first", "moreThanDaysAgo", 30, {"two", "three"}),
        ("last", "withinLastDays", 5, {"two", "three"}),
        ("last", "moreThanDaysAgo", 5, {"one", "two"}),
        ("last", "moreThanDaysAgo", 11, set()),
    ],
)
def test_first_and_last_compare_the_earliest_and_latest_created_date_inclusively(
    alice: Persona, frozen: datetime, kind: str, op: str, bound: int, expected: set[str]
) -> None:
    rule: dict[str, Any] = {"type": kind, "schemaId": "review", "op": op}
    if op in ("before", "after"):
        rule["date"] = (frozen - bound * DAY).isoformat()
    else:
        rule["days"] = bound
    assert selected(alice, rule) == expected


@pytest.mark.usefixtures("people")
def test_never_includes_contacts_without_any_interaction(alice: Persona) -> None:
    assert selected(alice, {"type": "never", "schemaId": "review"}) == {"none"}
    assert selected(alice, {"type": "never", "schemaId": "purchase"}) == {
        "none",
        "one",
        "two",
        "three",
    }


# --- properties ---------------------------------------------------------------------------------


@pytest.fixture
def buyers(alice: Persona, schemas: dict[str, InteractionSchema], frozen: datetime) -> None:
    purchase = schemas["purchase"]
    rows = {
        "web": {
            "amount": 10,
            "channel": "Web",
            "gift": False,
            "shippedAt": "2026-06-01T10:00:00+02:00",
            "day": "2026-06-01",
        },
        "store": {
            "amount": 25.5,
            "channel": "Store Oslo",
            "gift": True,
            "shippedAt": "2026-06-01T08:00:00Z",
            "day": "2026-06-02",
        },
        "app": {
            "amount": 40,
            "channel": "app",
            "gift": True,
            "shippedAt": "2026-06-01T07:59:59Z",
            "day": "2026-05-31",
        },
        "bare": {"note": "no segmentable properties"},
    }
    for name, payload in rows.items():
        make_interaction(person(alice, name), purchase, payload, created_date=frozen - DAY)
    person(alice, "nobody")


def where(op: str, prop: str, **operands: Any) -> dict[str, Any]:
    return {
        "type": "count",
        "schemaId": "purchase",
        "where": [{"property": prop, "op": op, **operands}],
    }


@pytest.mark.usefixtures("buyers")
@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (where("eq", "channel", value="Web"), {"web"}),
        (where("eq", "channel", value="web"), set()),
        (where("ne", "channel", value="Web"), {"store", "app"}),
        (where("in", "channel", values=["Web", "app"]), {"web", "app"}),
        (where("contains", "channel", value="OSLO"), {"store"}),
        (where("contains", "channel", value="%"), set()),
        (where("eq", "amount", value=10), {"web"}),
        (where("ne", "amount", value=10), {"store", "app"}),
        (where("in", "amount", values=[25.5, 40]), {"store", "app"}),
        (where("lt", "amount", value=25.5), {"web"}),
        (where("lte", "amount", value=25.5), {"web", "store"}),
        (where("gt", "amount", value=25.5), {"app"}),
        (where("gte", "amount", value=25.5), {"store", "app"}),
        (where("between", "amount", min=10, max=25.5), {"web", "store"}),
        (where("isTrue", "gift"), {"store", "app"}),
        (where("isFalse", "gift"), {"web"}),
        # 2026-06-01T10:00:00+02:00 is 08:00Z: instants compare in UTC, not as text
        (where("eq", "shippedAt", value="2026-06-01T08:00:00Z"), {"web", "store"}),
        (where("lt", "shippedAt", value="2026-06-01T08:00:00+00:00"), {"app"}),
        (where("gte", "shippedAt", value="2026-06-01T10:00:00+02:00"), {"web", "store"}),
        (
            where("between", "shippedAt", min="2026-06-01T07:59:59Z", max="2026-06-01T08:00:00Z"),
            {"web", "store", "app"},
        ),
        (where("lte", "day", value="2026-06-01"), {"web", "app"}),
        (where("gt", "day", value="2026-06-01"), {"store"}),
        (where("between", "day", min="2026-06-01", max="2026-06-02"), {"web", "store"}),
        (where("gte", "shippedAt", value="2026-06-01"), {"web", "store", "app"}),
    ],
    ids=lambda value: str(value.get("where"))[:70] if isinstance(value, dict) else None,
)
def test_property_operators_compare_by_the_property_s_type(
    alice: Persona, rule: dict[str, Any], expected: set[str]
) -> None:
    assert selected(alice, rule) == expected


def test_a_property_condition_combines_with_a_count_and_a_window(
    alice: Persona, schemas: dict[str, InteractionSchema], frozen: datetime
) -> None:
    """ "at least 2 reviews with rating >= 4 in the last 90 days" """
    review = schemas["review"]
    yes, old, low = person(alice, "yes"), person(alice, "old"), person(alice, "low")
    for rating, age in [(4, 1), (5, 90)]:
        make_interaction(yes, review, {"rating": rating}, created_date=frozen - age * DAY)
    for rating, age in [(5, 1), (5, 91)]:
        make_interaction(old, review, {"rating": rating}, created_date=frozen - age * DAY)
    for rating, age in [(5, 1), (3, 2)]:
        make_interaction(low, review, {"rating": rating}, created_date=frozen - age * DAY)
    rule = {
        "type": "count",
        "schemaId": "review",
        "count": {"op": ">=", "value": 2},
        "window": {"type": "lastDays", "days": 90},
        "where": [{"property": "rating", "op": "gte", "value": 4}],
    }
    assert selected(alice, rule) == {"yes"}


# --- contacts and groups --------------------------------------------------------------------


@pytest.fixture
def contacts(alice: Persona, schemas: dict[str, InteractionSchema]) -> None:
    person(alice, "member", contact_type="Member", email="m@Shop.example")
    vip = person(alice, "vip", contact_type="Contact", email="v@other.example")
    person(alice, "plain", contact_type="Contact", email="p@shop.example.org")
    contact_tag_add(tenant=alice.tenant, contact=vip, name="vip")


@pytest.mark.usefixtures("contacts")
@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"type": "contactType", "values": ["Member"]}, {"member"}),
        ({"type": "contactType", "values": ["Member", "Contact"]}, {"member", "vip", "plain"}),
        ({"type": "emailDomain", "values": ["shop.example"]}, {"member"}),
        (
            {"type": "emailDomain", "values": ["other.example", "shop.example.org"]},
            {"vip", "plain"},
        ),
        ({"type": "tag", "name": "vip"}, {"vip"}),
        ({"type": "tag", "name": "VIP"}, set()),
        ({"type": "not", "rule": {"type": "tag", "name": "vip"}}, {"member", "plain"}),
        (
            {
                "type": "all",
                "rules": [
                    {"type": "contactType", "values": ["Contact"]},
                    {"type": "not", "rule": {"type": "tag", "name": "vip"}},
                ],
            },
            {"plain"},
        ),
        (
            {
                "type": "any",
                "rules": [
                    {"type": "contactType", "values": ["Member"]},
                    {"type": "tag", "name": "vip"},
                ],
            },
            {"member", "vip"},
        ),
        ({"type": "any", "rules": []}, set()),
        ({"type": "all", "rules": []}, {"member", "vip", "plain"}),
    ],
    ids=lambda value: str(value)[:60] if isinstance(value, dict) else None,
)
def test_contact_fields_tags_and_groups(
    alice: Persona, rule: dict[str, Any], expected: set[str]
) -> None:
    assert selected(alice, rule) == expected


def test_a_tag_of_another_tenant_with_the_same_name_does_not_count(
    alice: Persona, bob: Persona
) -> None:
    ben = ContactFactory(tenant=bob.tenant, first_name="ben")
    contact_tag_add(tenant=bob.tenant, contact=ben, name="vip")
    person(alice, "ann")
    assert selected(alice, {"type": "tag", "name": "vip"}) == set()
    assert selected(alice, {"type": "not", "rule": {"type": "tag", "name": "vip"}}) == {"ann"}


# --- checking -------------------------------------------------------------------------------


def problems(persona: Persona, rule: Any) -> list[dict[str, str]]:
    catalog = segment_catalog(tenant=persona.tenant)
    return [p.as_dict() for p in rule_problems(rule, catalog=catalog)]


@pytest.mark.usefixtures("schemas")
def test_it_refuses_a_property_that_is_not_segmentable(alice: Persona) -> None:
    rule = where("eq", "note", value="x")
    assert problems(alice, rule) == [
        {
            "field": "rule.where.0.property",
            "code": "invalid",
            "message": "'note' of purchase is not segmentable (addToSegmentation is not true)",
        }
    ]


@pytest.mark.usefixtures("schemas")
def test_it_refuses_unknown_schemas_properties_and_operators_that_do_not_fit(
    alice: Persona,
) -> None:
    assert problems(alice, {"type": "never", "schemaId": "nope"}) == [
        {"field": "rule.schemaId", "code": "invalid", "message": "no interaction schema 'nope'"}
    ]
    assert problems(alice, where("eq", "colour", value="x")) == [
        {
            "field": "rule.where.0.property",
            "code": "invalid",
            "message": "purchase has no property 'colour'",
        }
    ]
    assert problems(alice, where("contains", "amount", value="1")) == [
        {
            "field": "rule.where.0.op",
            "code": "enum",
            "message": "must be one of eq, ne, in, lt, lte, gt, gte, between for a number",
        }
    ]
    assert problems(alice, where("gt", "amount", value="1")) == [
        {"field": "rule.where.0.value", "code": "type", "message": "must be a number"}
    ]
    assert problems(alice, where("between", "day", min="2026-01-01")) == [
        {"field": "rule.where.0.max", "code": "required", "message": "is required by between"}
    ]


def test_it_refuses_a_document_that_breaks_the_rule_json_schema(alice: Persona) -> None:
    assert problems(alice, {"type": "count"}) == [
        {"field": "rule", "code": "required", "message": "'schemaId' is a required property"}
    ]
    assert problems(alice, {"type": "everyone"})[0]["field"] == "rule.type"
    assert problems(alice, {"type": "all", "rules": [{"type": "tag", "name": "x", "y": 1}]}) == [
        {
            "field": "rule.rules.0",
            "code": "unknown",
            "message": "Additional properties are not allowed ('y' was unexpected)",
        }
    ]
    deep: dict[str, Any] = {"type": "tag", "name": "x"}
    for _ in range(9):
        deep = {"type": "not", "rule": deep}
    assert problems(alice, deep) == [
        {"field": "rule", "code": "limit", "message": "nests groups deeper than 8 levels"}
    ]


def test_the_rule_json_schema_is_itself_a_valid_draft_2020_12_schema() -> None:
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(RULE_JSON_SCHEMA)

"""The segment builder as a form: a marketer builds a segment only by clicking and typing (on a
desktop and on a phone) and gets the count the API gives for the same rule; every rule of the
segment tests round-trips through the form unchanged; problems show at the row at fault, in plain
words."""

import json
import random
from typing import Any

import pytest
from rest_framework.test import APIClient

from interactions.services.products import product_create
from interactions.services.roles import ADMIN, MARKETER
from interactions.services.staff import staff_user_create
from interactions.services.tags import contact_tag_add
from interactions.services.tenants import api_key_create
from segments.models import Segment
from tests.browser.conftest import BrowserProblems, log_in, screenshot
from tests.factories import ContactFactory, TenantFactory, make_interaction, make_schema
from tests.segments import test_rules
from tests.segments.conftest import make_purchase_schema
from tests.segments.test_differential import random_rule

PASSWORD = "a-long-password"
pytestmark = pytest.mark.django_db(transaction=True)
SIZES = {"desktop": (1400, 900), "phone": (390, 844)}
# The catalog, with the facts and attributes the differential tests' product rules name.
PRODUCTS = [
    {
        "sku": "JKT-1",
        "name": "Storm jacket",
        "brand": "Nordkap",
        "categories": ["Outerwear", "Jackets"],
        "price": {"amount": 1299, "currency": "SEK"},
        "attributes": {"color": "red", "size": 42, "organic": True},
    },
    {
        "sku": "PRK-1",
        "name": "Parka",
        "brand": "Fjell Sport",
        "categories": ["Outerwear", "Coats"],
        "price": {"amount": 149.5, "currency": "EUR"},
        "attributes": {"color": "Red", "size": "XL", "organic": False},
    },
    {"sku": "SNK-1", "name": "Runner", "brand": "Nordkap", "categories": ["Footwear"]},
]


@pytest.fixture
def shop() -> Any:
    """A tenant with reviews (of products of its catalog) and purchases, some contacts tagged
    vip, and an API client."""
    tenant = TenantFactory(slug="acme", name="Acme")
    review, purchase = make_schema(tenant), make_purchase_schema(tenant)
    for product in PRODUCTS:
        product_create(tenant=tenant, document=product)
    skus = ["JKT-1", "SNK-1", "PRK-1", "SNK-1", "NO-SUCH-SKU", None]
    for index, ratings in enumerate([[5, 5, 4], [4, 4], [5], [2, 1, 1], [5, 2], []]):
        contact = ContactFactory(tenant=tenant, first_name=f"P{index}", last_name="Shopper")
        for rating in ratings:
            payload: dict[str, Any] = {"rating": rating}
            if skus[index] is not None:
                payload["productSku"] = skus[index]
            make_interaction(contact, review, payload)
        make_interaction(contact, purchase, {"amount": 10 * index, "channel": "Web"})
        if index in (0, 2, 4):
            contact_tag_add(tenant=tenant, contact=contact, name="vip")
    _, key = api_key_create(tenant=tenant, name="test")
    api = APIClient()
    api.credentials(HTTP_APIKEY=key)
    tenant.api = api
    return tenant


def api_count(shop: Any, rule: Any) -> int:
    response = shop.api.post("/api/v2/segments/count", {"rule": rule}, format="json")
    assert response.status_code == 200, response.json()
    count: int = response.json()["count"]
    return count


def live_count(page: Any) -> int:
    page.wait_for_function(
        "document.getElementById('live-count').dataset.state === 'ok'", timeout=10_000
    )
    text = page.locator("#live-count").inner_text()
    return int(text.split()[0].replace(",", ""))


def builder_rule(page: Any) -> Any:
    return json.loads(page.locator("input[name=rule]").input_value())


def wait_for_count(page: Any, expected: str) -> None:
    page.wait_for_function(
        f"document.getElementById('live-count').textContent === {json.dumps(expected)}",
        timeout=10_000,
    )


def marketer_logged_in(page: Any, live_server: Any, shop: Any, size: str) -> None:
    """Mia, a marketer of the shop, logged in on a screen of ``size``."""
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    staff_user_create(tenant=shop, username="mia", password=PASSWORD, role=MARKETER)
    log_in(page, live_server, "mia", PASSWORD)


@pytest.mark.parametrize("size", SIZES)
def test_a_marketer_builds_a_segment_by_clicking_and_typing_and_gets_the_api_s_count(
    live_server: Any, page: Any, problems: BrowserProblems, shop: Any, size: str
) -> None:
    marketer_logged_in(page, live_server, shop, size)
    page.goto(f"{live_server.url}/segments/")
    page.get_by_role("link", name="New segment").click()
    page.wait_for_load_state()
    assert live_count(page) == 6
    # Marketers get the form only, not the rule as JSON.
    assert page.get_by_text("Advanced: the rule as JSON").count() == 0

    page.get_by_label("Name", exact=True).fill("Happy VIP reviewers")
    page.get_by_role("button", name="+ Condition").click()
    first = page.get_by_role("group", name="Condition 1")
    first.get_by_label("Condition", exact=True).select_option(label="Wrote a review")
    first.get_by_label("Count", exact=True).select_option(label="at least")
    first.get_by_label("Times", exact=True).fill("2")
    first.get_by_label("When", exact=True).select_option(label="in the last … days")
    first.get_by_label("Days", exact=True).fill("30")
    first.get_by_role("button", name="+ Property condition").click()
    where = page.get_by_role("group", name="Condition 1, property condition 1")
    where.get_by_label("Property", exact=True).select_option(label="Rating")
    where.get_by_label("Comparison", exact=True).select_option(label="is at least")
    where.get_by_label("Value", exact=True).fill("4")
    wait_for_count(page, "2 contacts match")  # P0 and P1 wrote two good reviews

    page.get_by_role("button", name="+ Condition").click()
    second = page.get_by_role("group", name="Condition 2")
    second.get_by_label("Condition", exact=True).select_option(label="Tag")
    second.get_by_label("Tag", exact=True).fill("vip")
    wait_for_count(page, "1 contact matches")
    assert page.locator("#rule-summary").inner_text() == (
        "Contacts with at least 2 \N{MULTIPLICATION SIGN} Wrote a review in the last 30 days "
        "where Rating is at least 4, and tagged vip."
    )
    rule = builder_rule(page)
    assert rule == {
        "type": "all",
        "rules": [
            {
                "type": "count",
                "schemaId": "review",
                "count": {"op": ">=", "value": 2},
                "window": {"type": "lastDays", "days": 30},
                "where": [{"property": "rating", "op": "gte", "value": 4}],
            },
            {"type": "tag", "name": "vip"},
        ],
    }
    assert live_count(page) == api_count(shop, rule) == 1
    assert page.locator("#rule-preview a").all_inner_texts() == ["P0 Shopper"]

    # Keyboard only: add a third condition, make it "not", then remove it again.
    page.get_by_role("button", name="+ Condition").focus()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.dataset.label") == "Condition"
    third = page.get_by_role("group", name="Condition 3")
    third.get_by_label("Not", exact=True).focus()
    page.keyboard.press("Space")
    assert third.get_by_label("Not", exact=True).is_checked()
    page.get_by_role("button", name="Remove condition 3").focus()
    page.keyboard.press("Enter")
    assert page.get_by_role("group", name="Condition 3").count() == 0
    wait_for_count(page, "1 contact matches")
    assert builder_rule(page) == rule

    # The builder fits the screen: nothing in it reaches past the viewport's right edge.
    overflow = page.evaluate(
        """() => Array.from(document.querySelectorAll('.builder *'))
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
            .map(e => e.outerHTML.slice(0, 80))"""
    )
    assert overflow == []
    screenshot(page, f"segment-builder-{size}")

    page.get_by_role("button", name="Save segment").click()
    page.wait_for_load_state()
    segment = Segment.objects.get(tenant=shop)
    assert segment.rule == rule
    saved = shop.api.get(f"/api/v2/segments/{segment.pk}/count").json()["count"]
    assert saved == segment.member_count == api_count(shop, rule) == 1
    # The saved segment opens in the form as it was built.
    assert live_count(page) == 1
    assert builder_rule(page) == rule
    assert (
        page.get_by_role("group", name="Condition 2").get_by_label("Tag", exact=True).input_value()
        == "vip"
    )


@pytest.mark.parametrize("size", SIZES)
def test_a_marketer_builds_a_segment_on_product_facts_with_the_catalog_s_suggestions(
    live_server: Any, page: Any, problems: BrowserProblems, shop: Any, size: str
) -> None:
    marketer_logged_in(page, live_server, shop, size)
    page.goto(f"{live_server.url}/segments/new/")
    page.get_by_role("button", name="+ Condition").click()
    first = page.get_by_role("group", name="Condition 1")
    first.get_by_label("Condition", exact=True).select_option(label="Wrote a review")
    first.get_by_role("button", name="+ Property condition").click()
    where = page.get_by_role("group", name="Condition 1, property condition 1")
    where.get_by_label("Property", exact=True).select_option(label="Product category (any level)")
    value = where.get_by_label("Value", exact=True)
    # The catalog's categories are suggested, the most common first.
    suggested = page.locator(f"datalist#{value.get_attribute('list')} option")
    assert suggested.evaluate_all("options => options.map(o => o.value)") == [
        "Outerwear",
        "Coats",
        "Footwear",
        "Jackets",
    ]
    value.fill("Outerwear")
    wait_for_count(page, "2 contacts match")  # P0 (a jacket) and P2 (a parka)
    first.get_by_role("button", name="+ Property condition").click()
    price = page.get_by_role("group", name="Condition 1, property condition 2")
    price.get_by_label("Property", exact=True).select_option(label="Product price")
    price.get_by_label("Comparison", exact=True).select_option(label="is at least")
    price.get_by_label("Value", exact=True).fill("1000")
    wait_for_count(page, "1 contact matches")
    rule = builder_rule(page)
    assert rule == {
        "type": "all",
        "rules": [
            {
                "type": "count",
                "schemaId": "review",
                "count": {"op": ">=", "value": 1},
                "window": {"type": "allTime"},
                "where": [
                    {"property": "product.category", "op": "eq", "value": "Outerwear"},
                    {"property": "product.price", "op": "gte", "value": 1000},
                ],
            }
        ],
    }
    assert live_count(page) == api_count(shop, rule) == 1
    assert page.locator("#rule-summary").inner_text() == (
        "Contacts with at least 1 \N{MULTIPLICATION SIGN} Wrote a review where Product category "
        "(any level) is Outerwear and Product price is at least 1,000."
    )
    overflow = page.evaluate(
        """() => Array.from(document.querySelectorAll('.builder *'))
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
            .map(e => e.outerHTML.slice(0, 80))"""
    )
    assert overflow == []
    screenshot(page, f"segment-builder-products-{size}")


def corpus() -> list[Any]:
    """The rules of the segment tests: the differential tests' random rules (their seeds), the
    parametrized rules of test_rules, and shapes those do not reach."""
    rules: list[Any] = []
    for seed in range(6):
        rng = random.Random(seed)
        rules += [random_rule(rng) for _ in range(60)]
    for name in dir(test_rules):
        for mark in getattr(getattr(test_rules, name), "pytestmark", []):
            if mark.name == "parametrize" and mark.args[0] == ("rule", "expected"):
                rules += [rule for rule, _ in mark.args[1]]
    purchase = {"type": "count", "schemaId": "purchase"}
    rules += [
        {"type": "not", "rule": {"type": "not", "rule": {"type": "tag", "name": "vip"}}},
        {"type": "not", "rule": {"type": "all", "rules": [{"type": "never", "schemaId": "x"}]}},
        {"type": "not", "rule": {"type": "any", "rules": []}},
        {"type": "all", "rules": [{"type": "not", "rule": {"type": "not", "rule": purchase}}]},
        {**purchase, "where": []},
        {**purchase, "where": [{"property": "amount", "op": "eq", "value": 5, "min": 1}]},
        {**purchase, "where": [{"property": "gift", "op": "isTrue", "value": "x"}]},
        {**purchase, "where": [{"property": "gone", "op": "contains", "value": "x"}]},
        {"type": "first", "schemaId": "review", "op": "before", "date": "2026-01-01T00:00:00Z"},
        {"type": "last", "schemaId": "review", "op": "after", "date": "2026-01-01", "days": 3},
        {"type": "count", "schemaId": "gone", "count": {"op": "=", "value": 0}},
        {"type": "any", "rules": [{"type": "all", "rules": [{"type": "any", "rules": []}]}]},
    ]
    return rules


def test_every_rule_of_the_segment_tests_round_trips_through_the_form(
    live_server: Any, page: Any, problems: BrowserProblems, shop: Any
) -> None:
    staff_user_create(tenant=shop, username="ada", password=PASSWORD, role=ADMIN)
    log_in(page, live_server, "ada", PASSWORD)
    page.goto(f"{live_server.url}/segments/new/")
    page.get_by_text("Advanced: the rule as JSON").click()
    rules = corpus()
    assert len(rules) > 400
    # Each rule goes into the JSON view, is applied to the form, and is read back from the rule
    # field the form writes (what Save posts); the form must show it with its own controls.
    results = page.evaluate(
        """(rules) => rules.map((rule) => {
            document.getElementById('rule-json').value = JSON.stringify(rule);
            document.getElementById('rule-json-apply').click();
            return {
                back: JSON.parse(document.querySelector('input[name=rule]').value),
                unshown: document.querySelectorAll('#rule-form .raw-condition').length,
                summary: document.getElementById('rule-summary').textContent,
            };
        })""",
        rules,
    )
    for rule, result in zip(rules, results, strict=True):
        assert result["back"] == rule
        assert result["unshown"] == 0, rule
        assert result["summary"].startswith(("Contacts with", "All contacts", "No contacts"))

    # And a rule loaded into the form is saved back unchanged.
    rule = rules[5]
    page.get_by_label("Rule (JSON)", exact=True).fill(json.dumps(rule))
    page.get_by_role("button", name="Apply the JSON to the form").click()
    page.get_by_label("Name", exact=True).fill("Round trip")
    page.get_by_role("button", name="Save segment").click()
    page.wait_for_load_state()
    assert Segment.objects.get(tenant=shop).rule == rule


def test_problems_show_at_the_row_at_fault_in_plain_words(
    live_server: Any, page: Any, problems: BrowserProblems, shop: Any
) -> None:
    staff_user_create(tenant=shop, username="mia", password=PASSWORD, role=MARKETER)
    log_in(page, live_server, "mia", PASSWORD)
    page.goto(f"{live_server.url}/segments/new/")
    for _ in range(2):
        page.get_by_role("button", name="+ Condition").click()
    first = page.get_by_role("group", name="Condition 1")
    second = page.get_by_role("group", name="Condition 2")
    second.get_by_label("When", exact=True).select_option(label="in the last … days")
    second.get_by_label("Days", exact=True).fill("40000")
    second.get_by_label("Times", exact=True).fill("")
    page.wait_for_function(
        "document.getElementById('live-count').dataset.state === 'invalid'", timeout=10_000
    )
    assert page.locator("#live-count").inner_text() == "Fix the marked conditions"
    assert second.locator(".row-errors li").all_inner_texts() == [
        "Times: Enter a whole number.",
        "Days: Must be at most 36500.",
    ]
    assert second.get_by_label("Days", exact=True).get_attribute("aria-invalid") == "true"
    assert first.locator(".row-errors li").count() == 0
    assert "rule." not in page.locator(".builder").inner_text()
    screenshot(page, "segment-builder-problems")

    second.get_by_label("Days", exact=True).fill("30")
    second.get_by_label("Times", exact=True).fill("1")
    live_count(page)
    assert second.locator(".row-errors li").count() == 0
    assert second.get_by_label("Days", exact=True).get_attribute("aria-invalid") is None

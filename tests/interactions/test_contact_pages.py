"""The marketers' contact pages: the contact list and the contact card, through the real stack."""

import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test import Client
from django.test.html import Element, parse_html
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from interactions.extensions import ContactCardPanel, Extension, extension_registered
from interactions.models import Contact, Interaction, InteractionSchema, Tenant
from interactions.selectors import contact_card_data
from interactions.services.contacts import contact_create
from interactions.services.ingest import interactions_receive_many
from interactions.services.roles import MARKETER
from interactions.services.staff import staff_user_create
from tests.conftest import Persona
from tests.factories import (
    ContactFactory,
    make_interaction,
    make_schema,
    make_schema_stored_before_the_name_rule,
)

NOON = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)

CARD_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "rating": {
            "type": "integer",
            "displayName": "Rating",
            "showInContactCard": True,
            "sortOrder": 2,
        },
        "productSku": {
            "type": "string",
            "displayName": "Product",
            "showInContactCard": "true",
            "sortOrder": "3",
        },
        "visitedAt": {
            "type": "string",
            "format": "date-time",
            "displayName": "Visited at",
            "showInContactCard": "true",
            "sortOrder": 1,
        },
        "recommends": {
            "type": "boolean",
            "displayName": "Would recommend",
            "showInContactCard": True,
            "sortOrder": 4,
        },
        "deliveredOn": {
            "type": "string",
            "format": "date",
            "displayName": "Delivered on",
            "showInContactCard": True,
            "sortOrder": 5,
        },
        "amount": {"type": "number", "displayName": "Amount", "showInContactCard": True},
        "reviewText": {"type": "string", "displayName": "Review text"},
        "verified": {"type": "boolean", "displayName": "Verified", "showInContactCard": "false"},
        "link": {"type": "string", "format": "uri", "displayName": "Link", "sortOrder": 9},
    },
    "required": ["rating"],
}

FULL_PAYLOAD: dict[str, Any] = {
    "rating": 4,
    "productSku": "SKU-123",
    "visitedAt": "2024-06-01T22:30:00+00:00",
    "recommends": True,
    "deliveredOn": "2024-05-28",
    "amount": 1234.5,
    "reviewText": "Lovely boots",
    "verified": False,
    "link": "https://shop.example/p/123",
}

XSS_SCRIPT = "<script>alert(1)</script>"
XSS_IMG = '"><img src=x onerror=alert(1)>'
XSS_JS_URL = "javascript:alert(1)"
XSS_END_SCRIPT = "</script><script>alert(1)</script>"


# --- Helpers ------------------------------------------------------------------------------------


def staff_client(tenant: Tenant, username: str) -> Client:
    user = staff_user_create(
        tenant=tenant, username=username, password="a-long-password", role=MARKETER
    )
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def mia(alice: Persona) -> Client:
    """A marketer of tenant A."""
    return staff_client(alice.tenant, "mia")


@pytest.fixture
def ben(bob: Persona) -> Client:
    """A marketer of tenant B."""
    return staff_client(bob.tenant, "ben")


@pytest.fixture
def card_schema(alice: Persona) -> InteractionSchema:
    return make_schema(alice.tenant, "store-visit", CARD_SCHEMA, display_name="Visited a store")


def add_interactions(
    contact: Contact,
    schema: InteractionSchema,
    count: int,
    *,
    start: datetime = NOON,
    step: timedelta = timedelta(hours=1),
    payload: dict[str, Any] | None = None,
) -> list[Interaction]:
    """Many interactions stored at once, through the batch service (as ``POST
    interactions/batch`` stores them: with their contact activity rows, which the card reads)."""
    documents = [
        {
            "contactId": str(contact.pk),
            "schemaId": schema.schema_id,
            "createdDate": (start + index * step).isoformat(),
            "payload": payload if payload is not None else {"rating": 1 + index % 5},
        }
        for index in range(count)
    ]
    results = []
    for start_at in range(0, count, 1000):  # a batch's size
        chunk = documents[start_at : start_at + 1000]
        results += interactions_receive_many(
            tenant=contact.tenant,
            documents=chunk,
            bodies=[json.dumps(document).encode() for document in chunk],
            received_at=timezone.now(),
        )
    assert all(result.refusal is None for result in results), results
    stored = Interaction.objects.in_bulk([result.interaction_id for result in results])
    return [stored[result.interaction_id] for result in results]


def card_url(contact: Any, **query: str) -> str:
    base = f"/contacts/{contact.pk}/"
    if not query:
        return base
    return base + "?" + "&".join(f"{key}={value}" for key, value in query.items())


def interactions_tab(client: Client, contact: Any, **query: str) -> Any:
    response = client.get(f"/contacts/{contact.pk}/", {"tab": "interactions", **query})
    assert response.status_code == 200, response.content.decode()[:2000]
    return response


def html(response: Any) -> Element:
    return parse_html(response.content.decode())


def walk(node: Any) -> Iterator[Element]:
    if isinstance(node, Element):
        yield node
        for child in node.children:
            yield from walk(child)


def attr(node: Element, name: str) -> str | None:
    return next((value for key, value in node.attributes if key == name), None)


def find_all(root: Any, tag: str | None = None, cls: str | None = None) -> list[Element]:
    return [
        node
        for node in walk(root)
        if (tag is None or node.name == tag)
        and (cls is None or cls in (attr(node, "class") or "").split())
    ]


def find(root: Any, tag: str | None = None, cls: str | None = None) -> Element:
    found = find_all(root, tag, cls)
    assert found, f"no <{tag} class={cls}>"
    return found[0]


def text(node: Any) -> str:
    """The text of a node, with whitespace runs collapsed to one space."""
    if isinstance(node, str):
        return " ".join(node.split())
    return " ".join(" ".join(text(child) for child in node.children).split())


def rows(root: Element) -> list[Element]:
    return find_all(root, "article", "interaction")


def labels(node: Element) -> list[str]:
    return [text(dt) for dt in find_all(node, "dt")]


def props(node: Element) -> dict[str, str]:
    return {
        text(find(prop, "dt")): text(find(prop, "dd")) for prop in find_all(node, "div", "prop")
    }


def shown(row: Element) -> Element:
    return find(row, "dl", "shown")


def details(row: Element) -> Element:
    return find(row, "details")


def chart_data(response: Any) -> dict[str, Any]:
    match = re.search(
        r'<script id="interaction-chart-data" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert match, "no chart data"
    raw = match.group(1)
    assert "<" not in raw and ">" not in raw, raw
    data: dict[str, Any] = json.loads(raw)
    return data


def next_href(root: Element) -> str | None:
    links = [node for node in find_all(root, "a") if attr(node, "rel") == "next"]
    return attr(links[0], "href") if links else None


def continuation_of(href: str) -> str:
    return parse_qs(urlsplit(href).query)["continuation"][0]


def query_count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


# --- Access -------------------------------------------------------------------------------------


def test_an_anonymous_visitor_is_sent_to_log_in(contact: Contact) -> None:
    for url in ("/contacts/", card_url(contact)):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")


def test_another_tenants_contact_is_not_found_for_its_marketers(
    mia: Client, ben: Client, contact: Contact, card_schema: InteractionSchema
) -> None:
    make_interaction(contact, card_schema, {"rating": 3})
    assert mia.get(card_url(contact)).status_code == 200
    for tab in ("overview", "interactions"):
        response = ben.get(card_url(contact, tab=tab))
        assert response.status_code == 404
        assert contact.email not in response.content.decode()
    assert ben.get(f"/contacts/{uuid.uuid4()}/").status_code == 404
    assert mia.get(f"/contacts/{uuid.uuid4()}/").status_code == 404
    assert mia.get("/contacts/not-a-uuid/").status_code == 404


def test_the_list_shows_only_the_tenants_contacts(
    mia: Client, ben: Client, alice: Persona, bob: Persona
) -> None:
    ContactFactory(tenant=alice.tenant, email="a-only@example.com")
    ContactFactory(tenant=bob.tenant, email="b-only@example.com")
    assert "a-only@example.com" in mia.get("/contacts/").content.decode()
    assert "b-only@example.com" not in mia.get("/contacts/").content.decode()
    assert "a-only@example.com" not in ben.get("/contacts/").content.decode()
    assert "a-only@example.com" not in ben.get("/contacts/", {"q": "a-only"}).content.decode()


# --- The contact list ---------------------------------------------------------------------------


def test_the_list_shows_each_contacts_interaction_count_and_last_interaction(
    mia: Client, alice: Persona, card_schema: InteractionSchema
) -> None:
    review = make_schema(alice.tenant, "review", display_name="Wrote a review")
    busy = ContactFactory(tenant=alice.tenant, first_name="Busy", last_name="Bee")
    ContactFactory(tenant=alice.tenant, first_name="Quiet", last_name="Mouse")
    add_interactions(busy, card_schema, 3)
    make_interaction(busy, review, {"rating": 5}, created_date=NOON + timedelta(days=2))

    page = html(mia.get("/contacts/"))
    by_name = {text(find(row, "a", "contact-name")): row for row in find_all(page, "tr")[1:]}
    assert text(find(by_name["Busy Bee"], "td", "interaction-count")) == "4"
    assert text(find(by_name["Busy Bee"], "td", "last-interaction")) == (
        "Wrote a review · 3 Jun 2024, 12:00"
    )
    assert text(find(by_name["Quiet Mouse"], "td", "interaction-count")) == "0"
    assert text(find(by_name["Quiet Mouse"], "td", "last-interaction")) == "None yet"
    link = find(by_name["Busy Bee"], "a", "contact-name")
    assert attr(link, "href") == f"/contacts/{busy.pk}/"


def test_the_list_searches_by_name_email_contact_id_and_external_id(
    mia: Client, alice: Persona
) -> None:
    contact_create(
        tenant=alice.tenant,
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.com",
        external_id="EXT-1",
    )
    grace = contact_create(
        tenant=alice.tenant, first_name="Grace", last_name="Hopper", email="gh@navy.example"
    )

    def found(query: str) -> set[str]:
        page = html(mia.get("/contacts/", {"q": query}))
        return {text(link) for link in find_all(page, "a", "contact-name")}

    assert found("ada") == {"Ada Lovelace"}
    assert found("LOVELACE") == {"Ada Lovelace"}
    assert found("ada lovelace") == {"Ada Lovelace"}
    assert found("navy.example") == {"Grace Hopper"}
    assert found(str(grace.pk)) == {"Grace Hopper"}
    assert found("EXT-1") == {"Ada Lovelace"}
    assert found("") == {"Ada Lovelace", "Grace Hopper"}
    assert found("nobody") == set()
    assert found("100%_\x00") == set()
    assert "No contact matches" in mia.get("/contacts/", {"q": "nobody"}).content.decode()


def test_the_list_is_paginated_newest_first(mia: Client, alice: Persona) -> None:
    for index in range(30):
        ContactFactory(
            tenant=alice.tenant,
            first_name=f"Person{index:02d}",
            last_name="Test",
            created_on=NOON + timedelta(minutes=index),
        )
    first = html(mia.get("/contacts/"))
    names = [text(link) for link in find_all(first, "a", "contact-name")]
    assert names == [f"Person{index:02d} Test" for index in range(29, 4, -1)]
    assert text(find(first, "span", "position")) == "1\N{EN DASH}25 of 30"

    second = html(mia.get("/contacts/", {"page": "2"}))
    assert [text(link) for link in find_all(second, "a", "contact-name")] == [
        f"Person{index:02d} Test" for index in range(4, -1, -1)
    ]
    assert text(find(second, "span", "position")) == "26\N{EN DASH}30 of 30"
    assert mia.get("/contacts/", {"page": "junk"}).status_code == 200
    assert mia.get("/contacts/", {"page": "99"}).status_code == 200


def test_the_list_costs_the_same_queries_for_10_and_1000_interactions(
    mia: Client, alice: Persona, card_schema: InteractionSchema
) -> None:
    contacts = [ContactFactory(tenant=alice.tenant) for _ in range(3)]
    for contact in contacts:
        add_interactions(contact, card_schema, 10)
    with_10 = query_count(mia, "/contacts/")
    for contact in contacts:
        add_interactions(contact, card_schema, 990, start=NOON + timedelta(days=30))
    with_1000 = query_count(mia, "/contacts/")
    assert with_10 == with_1000
    assert with_1000 <= 8


# --- The card: Overview -------------------------------------------------------------------------


def test_the_overview_shows_the_contacts_attributes_and_a_summary(
    mia: Client, alice: Persona, card_schema: InteractionSchema
) -> None:
    contact = contact_create(
        tenant=alice.tenant,
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.com",
        mobile_phone="+46700000000",
        external_id="EXT-1",
        extra_attributes={"favouriteStore": "Gothenburg", "tier": "gold"},
    )
    add_interactions(contact, card_schema, 2)

    page = html(mia.get(card_url(contact)))
    assert text(find(page, "h1", "contact-title")) == "Ada Lovelace"
    attributes = props_of_attributes(page)
    assert attributes["Email"] == "ada@example.com"
    assert attributes["Mobile phone"] == "+46700000000"
    assert attributes["External id"] == "EXT-1"
    assert attributes["Contact id"] == str(contact.pk)
    assert attributes["favouriteStore"] == "Gothenburg"
    assert attributes["tier"] == "gold"
    summary = find(page, "table", "summary")
    assert "Visited a store" in text(summary)
    current = [node for node in find_all(page, "a") if attr(node, "aria-current") == "page"]
    assert [text(node) for node in current] == ["Overview"]


def props_of_attributes(page: Element) -> dict[str, str]:
    attributes = find(page, "dl", "attributes")
    return {
        text(find(entry, "dt")): text(find(entry, "dd"))
        for entry in attributes.children
        if isinstance(entry, Element)
    }


def test_registered_panels_are_rendered_on_the_overview(
    mia: Client, ben: Client, contact: Contact, settings: Any, tmp_path: Path
) -> None:
    (tmp_path / "panels").mkdir()
    (tmp_path / "panels" / "_test_panel.html").write_text(
        '<p class="test-panel">{{ note }} for {{ contact.email }} of {{ tenant.slug }}</p>'
    )
    template_settings = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**template_settings, "DIRS": [*template_settings["DIRS"], tmp_path]}]
    seen: list[tuple[str, Any]] = []

    def panel_context(request: Any, tenant: Tenant, panel_contact: Contact) -> dict[str, Any]:
        seen.append((tenant.slug, panel_contact.pk))
        return {"note": XSS_SCRIPT}

    panel = ContactCardPanel(
        title="Segments <b>", template_name="panels/_test_panel.html", context=panel_context
    )
    with extension_registered(Extension(app_label="test-panel", card_panels=(panel,))):
        response = mia.get(card_url(contact))
        content = response.content.decode()
        page = html(response)
        assert text(find(page, "p", "test-panel")) == (f"{XSS_SCRIPT} for {contact.email} of alice")
        assert XSS_SCRIPT not in content
        assert "Segments &lt;b&gt;" in content
        assert seen == [("alice", contact.pk)]
        # Panels belong to the Overview tab, and another tenant never reaches them.
        assert "test-panel" not in mia.get(card_url(contact, tab="interactions")).content.decode()
        assert ben.get(card_url(contact)).status_code == 404
        assert len(seen) == 1
    assert "test-panel" not in mia.get(card_url(contact)).content.decode()


# --- The card: Interactions ---------------------------------------------------------------------


def test_the_summary_gives_each_schemas_count_first_and_last(
    mia: Client, alice: Persona, contact: Contact, card_schema: InteractionSchema
) -> None:
    review = make_schema(alice.tenant, "review", display_name="Wrote a review")
    add_interactions(contact, card_schema, 3, step=timedelta(days=1))
    make_interaction(contact, review, {"rating": 5}, created_date=NOON - timedelta(days=10))

    page = html(interactions_tab(mia, contact))
    summary = {
        attr(row, "data-schema"): [text(cell) for cell in find_all(row, "td")]
        for row in find_all(find(page, "table", "summary"), "tr")[1:]
    }
    assert summary == {
        "store-visit": ["Visited a store", "3", "1 Jun 2024, 12:00", "3 Jun 2024, 12:00"],
        "review": ["Wrote a review", "1", "22 May 2024, 12:00", "22 May 2024, 12:00"],
    }


def test_rows_show_shown_properties_by_display_name_in_sort_order_and_the_rest_in_details(
    mia: Client, contact: Contact, card_schema: InteractionSchema
) -> None:
    make_interaction(contact, card_schema, FULL_PAYLOAD, created_date=NOON)

    page = html(interactions_tab(mia, contact))
    [row] = rows(page)
    assert text(find(row, "h3", "schema-name")) == "Visited a store"
    # sortOrder 0 (the default, for Amount), 1, 2, 3, 4, 5; hidden ones are not in this list.
    assert labels(shown(row)) == [
        "Amount",
        "Visited at",
        "Rating",
        "Product",
        "Would recommend",
        "Delivered on",
    ]
    assert labels(details(row)) == ["Review text", "Verified", "Link"]
    assert text(find(details(row), "summary")) == "Details (3 more)"


def test_values_are_formatted_by_type_and_format(
    mia: Client, alice: Persona, contact: Contact, card_schema: InteractionSchema
) -> None:
    alice.tenant.timezone = "Europe/Stockholm"
    alice.tenant.save(update_fields=["timezone"])
    make_interaction(contact, card_schema, FULL_PAYLOAD, created_date=NOON)

    [row] = rows(html(interactions_tab(mia, contact)))
    values = props(row)
    assert values["Rating"] == "4"
    assert values["Amount"] == "1,234.5"
    assert values["Would recommend"] == "yes"
    assert values["Verified"] == "no"
    # 22:30 UTC on 1 June is 00:30 on 2 June in Stockholm (CEST).
    assert values["Visited at"] == "2 Jun 2024, 00:30"
    assert values["Delivered on"] == "28 May 2024"
    assert values["Review text"] == "Lovely boots"


def test_dates_are_shown_in_the_tenants_timezone(
    mia: Client, alice: Persona, contact: Contact, card_schema: InteractionSchema
) -> None:
    alice.tenant.timezone = "America/New_York"
    alice.tenant.save(update_fields=["timezone"])
    make_interaction(
        contact, card_schema, {"rating": 2}, created_date=datetime(2024, 1, 15, 3, 30, tzinfo=UTC)
    )

    response = interactions_tab(mia, contact)
    page = html(response)
    [row] = rows(page)
    when = find(row, "time", "when")
    assert text(when) == "14 Jan 2024, 22:30"
    assert attr(when, "datetime") == "2024-01-15T03:30:00+00:00"
    assert "Times in America/New_York" in response.content.decode()


def test_a_product_sku_is_shown_as_a_product_marker(
    mia: Client, alice: Persona, contact: Contact, card_schema: InteractionSchema
) -> None:
    hidden_sku = {
        **CARD_SCHEMA,
        "properties": {
            "rating": {"type": "integer"},
            "productSku": {"type": "string", "displayName": "Item"},
        },
    }
    other = make_schema(alice.tenant, "return", hidden_sku, display_name="Returned an item")
    make_interaction(contact, card_schema, FULL_PAYLOAD, created_date=NOON)
    make_interaction(contact, other, {"rating": 1, "productSku": "SKU-9"}, created_date=NOON)

    page = html(interactions_tab(mia, contact))
    markers = {
        attr(row, "data-schema"): text(find(row, "span", "product-marker")) for row in rows(page)
    }
    # productSku is reserved for the product: shown as a marker even when the schema hides it.
    assert markers == {"store-visit": "SKU-123", "return": "SKU-9"}
    by_schema = {attr(row, "data-schema"): row for row in rows(page)}
    assert "Item" in labels(shown(by_schema["return"]))


def test_each_row_links_to_its_raw_copy(
    mia: Client, contact: Contact, card_schema: InteractionSchema
) -> None:
    interaction = make_interaction(contact, card_schema, {"rating": 3, "reviewText": "raw!"})

    [row] = rows(html(interactions_tab(mia, contact)))
    href = attr(find(row, "a", "raw-link"), "href")
    assert href == f"/admin/interactions/interaction/{interaction.pk}/change/"
    raw_page = mia.get(href)
    assert raw_page.status_code == 200
    assert "raw!" in raw_page.content.decode()


def test_a_uri_value_is_a_link_only_for_http_and_https(
    mia: Client, contact: Contact, card_schema: InteractionSchema
) -> None:
    make_interaction(contact, card_schema, {"rating": 1, "link": XSS_JS_URL}, created_date=NOON)
    make_interaction(
        contact,
        card_schema,
        {"rating": 1, "link": "https://shop.example/p/1"},
        created_date=NOON - timedelta(hours=1),
    )

    response = interactions_tab(mia, contact)
    content = response.content.decode()
    newest, older = rows(html(response))
    assert props(newest)["Link"] == XSS_JS_URL
    assert not find_all(details(newest), "a")
    [link] = find_all(details(older), "a")
    assert attr(link, "href") == "https://shop.example/p/1"
    assert attr(link, "rel") == "noopener noreferrer nofollow"
    assert 'href="javascript:' not in content.lower()


def test_it_filters_by_schema(
    mia: Client, alice: Persona, contact: Contact, card_schema: InteractionSchema
) -> None:
    review = make_schema(alice.tenant, "review", display_name="Wrote a review")
    add_interactions(contact, card_schema, 4)
    make_interaction(contact, review, {"rating": 5}, created_date=NOON)

    response = interactions_tab(mia, contact, schema="review")
    page = html(response)
    assert [attr(row, "data-schema") for row in rows(page)] == ["review"]
    assert [series["schemaId"] for series in chart_data(response)["series"]] == ["review"]
    # The summary still covers every schema.
    assert len(find_all(find(page, "table", "summary"), "tr")) == 3
    selected = [
        node
        for node in find_all(page, "option")
        if any(k == "selected" for k, _ in node.attributes)
    ]
    assert [attr(node, "value") for node in selected] == ["review"]

    page = html(interactions_tab(mia, contact, schema="no-such-schema"))
    assert rows(page) == []
    assert "No interactions match these filters." in text(page)


def test_it_filters_by_a_date_range_of_days_in_the_tenants_timezone(
    mia: Client, alice: Persona, contact: Contact, card_schema: InteractionSchema
) -> None:
    alice.tenant.timezone = "Europe/Stockholm"
    alice.tenant.save(update_fields=["timezone"])
    # 21:30 UTC on 31 May is 23:30 in Stockholm; 22:30 UTC is already 1 June there.
    may = make_interaction(
        contact, card_schema, {"rating": 1}, created_date=datetime(2024, 5, 31, 21, 30, tzinfo=UTC)
    )
    june_1 = make_interaction(
        contact, card_schema, {"rating": 2}, created_date=datetime(2024, 5, 31, 22, 30, tzinfo=UTC)
    )
    june_30 = make_interaction(
        contact, card_schema, {"rating": 3}, created_date=datetime(2024, 6, 30, 21, 59, tzinfo=UTC)
    )
    make_interaction(
        contact, card_schema, {"rating": 4}, created_date=datetime(2024, 6, 30, 22, 0, tzinfo=UTC)
    )

    def shown_ids(**query: str) -> list[str]:
        page = html(interactions_tab(mia, contact, **query))
        return [(attr(row, "id") or "").removeprefix("interaction-") for row in rows(page)]

    assert shown_ids(since="2024-06-01", until="2024-06-30") == [
        str(june_30.pk),
        str(june_1.pk),
    ]
    assert shown_ids(until="2024-05-31") == [str(may.pk)]
    assert len(shown_ids(since="2024-06-01")) == 3
    response = interactions_tab(mia, contact, since="2024-06-01", until="2024-06-30")
    data = chart_data(response)
    assert data["granularity"] == "day"
    assert data["periods"][0] == "2024-06-01"
    assert data["periods"][-1] == "2024-06-30"
    assert sum(data["series"][0]["counts"]) == 2


def test_bad_filters_are_a_400_that_says_why(
    mia: Client, contact: Contact, card_schema: InteractionSchema
) -> None:
    add_interactions(contact, card_schema, 2)
    for query, reason in (
        ({"since": "2024-13-01"}, "Enter a valid date."),
        ({"since": "2024-06-02", "until": "2024-06-01"}, "after its end"),
        ({"schema": "<script>"}, "No interaction schema has this id."),
    ):
        response = mia.get(card_url(contact), {"tab": "interactions", **query})
        assert response.status_code == 400
        assert reason in response.content.decode()
        assert len(rows(html(response))) == 2


def test_paging_with_continuation_repeats_and_skips_nothing(
    mia: Client, contact: Contact, card_schema: InteractionSchema
) -> None:
    # Pairs of interactions share a createdDate, so the keyset's tie-break on id matters.
    made = add_interactions(contact, card_schema, 30, step=timedelta(0)) + add_interactions(
        contact, card_schema, 30, start=NOON - timedelta(days=1), step=timedelta(minutes=5)
    )
    expected = [str(i.pk) for i in sorted(made, key=lambda i: (i.created_date, i.pk), reverse=True)]

    seen: list[str] = []
    url: str | None = card_url(contact, tab="interactions")
    pages = 0
    while url:
        response = mia.get(url if url.startswith("/") else card_url(contact) + url)
        assert response.status_code == 200
        page = html(response)
        seen += [(attr(row, "id") or "").removeprefix("interaction-") for row in rows(page)]
        url = next_href(page)
        pages += 1
    assert pages == 3
    assert seen == expected


def test_paging_keeps_the_filters(
    mia: Client, alice: Persona, contact: Contact, card_schema: InteractionSchema
) -> None:
    review = make_schema(alice.tenant, "review", display_name="Wrote a review")
    add_interactions(contact, card_schema, 30)
    add_interactions(contact, review, 30, payload={"rating": 5})

    first = html(interactions_tab(mia, contact, schema="review"))
    href = next_href(first)
    assert href is not None
    assert parse_qs(urlsplit(href).query)["schema"] == ["review"]
    second = html(mia.get(card_url(contact) + href))
    assert {attr(row, "data-schema") for row in rows(second)} == {"review"}
    assert len(rows(first)) + len(rows(second)) == 30


def test_a_tampered_or_foreign_continuation_is_a_400_page(
    mia: Client, alice: Persona, contact: Contact, card_schema: InteractionSchema
) -> None:
    add_interactions(contact, card_schema, 30)
    other = ContactFactory(tenant=alice.tenant)
    add_interactions(other, card_schema, 30)
    href = next_href(html(interactions_tab(mia, contact)))
    assert href is not None
    token = continuation_of(href)

    for url in (
        card_url(contact, tab="interactions", continuation=token[:-2] + "xx"),
        card_url(contact, tab="interactions", continuation="garbage"),
        # A token is bound to its contact and its filters.
        card_url(other, tab="interactions", continuation=token),
        card_url(contact, tab="interactions", schema="store-visit", continuation=token),
    ):
        response = mia.get(url)
        assert response.status_code == 400, url
        assert "This page link is no longer valid" in response.content.decode()


def test_the_chart_counts_per_period_and_schema_with_a_period_fit_to_the_span(
    mia: Client, alice: Persona, contact: Contact, card_schema: InteractionSchema
) -> None:
    review = make_schema(alice.tenant, "review", display_name="Wrote a review")
    add_interactions(contact, card_schema, 3, step=timedelta(days=1))
    add_interactions(contact, review, 2, start=NOON + timedelta(days=2), payload={"rating": 5})

    data = chart_data(interactions_tab(mia, contact))
    assert data["granularity"] == "day"
    assert data["periods"] == ["2024-06-01", "2024-06-02", "2024-06-03"]
    assert data["labels"] == ["1 Jun 2024", "2 Jun 2024", "3 Jun 2024"]
    assert {series["name"]: series["counts"] for series in data["series"]} == {
        "Visited a store": [1, 1, 1],
        "Wrote a review": [0, 0, 2],
    }

    add_interactions(contact, review, 1, start=NOON + timedelta(days=200), payload={"rating": 1})
    data = chart_data(interactions_tab(mia, contact))
    assert data["granularity"] == "week"
    assert data["periods"][0] == "2024-05-27"  # the Monday of 1 June 2024's week
    totals = [sum(counts) for counts in zip(*(s["counts"] for s in data["series"]), strict=True)]
    assert sum(totals) == 6

    add_interactions(contact, review, 1, start=NOON + timedelta(days=2000), payload={"rating": 1})
    data = chart_data(interactions_tab(mia, contact))
    assert data["granularity"] == "month"
    assert data["periods"][0] == "2024-06-01"
    assert data["labels"][0] == "June 2024"

    data = chart_data(interactions_tab(mia, contact, since="2024-06-02", until="2024-06-02"))
    assert data["periods"] == ["2024-06-02"]
    assert {s["name"]: s["counts"] for s in data["series"]} == {
        "Visited a store": [1],
        "Wrote a review": [0],
    }


def test_a_contact_without_interactions_has_an_empty_card(mia: Client, contact: Contact) -> None:
    response = interactions_tab(mia, contact)
    content = response.content.decode()
    assert "This contact has no interactions yet." in content
    assert "No interactions in this period." in content
    assert "interaction-chart-data" not in content


def test_interactions_of_a_deleted_schema_are_left_out(
    mia: Client, alice: Persona, contact: Contact, card_schema: InteractionSchema
) -> None:
    add_interactions(contact, card_schema, 2)
    InteractionSchema.objects.filter(pk=card_schema.pk).update(deleted_at=NOON)
    page = html(interactions_tab(mia, contact))
    assert rows(page) == []
    assert "Visited a store" not in text(page)


CARD_VARIANTS = ("interactions", "overview", "filtered", "continued")


def test_the_card_costs_the_same_queries_for_10_and_10000_interactions(
    mia: Client,
    alice: Persona,
    contact: Contact,
    card_schema: InteractionSchema,
) -> None:
    review = make_schema(alice.tenant, "review", display_name="Wrote a review")
    add_interactions(contact, card_schema, 5, payload=FULL_PAYLOAD)
    add_interactions(contact, review, 5, start=NOON + timedelta(hours=1), payload={"rating": 3})

    def count(variant: str) -> int:
        params = {"tab": "overview" if variant == "overview" else "interactions"}
        if variant == "filtered":
            params.update(schema="store-visit", since="2023-01-01", until="2024-12-31")
        if variant == "continued":
            # A token after the first 5 rows (the card's tokens don't depend on the page size).
            card = contact_card_data(tenant=alice.tenant, contact_id=contact.pk, page_size=5)
            assert card.next_continuation
            params["continuation"] = card.next_continuation
        with CaptureQueriesContext(connection) as queries:
            response = mia.get(card_url(contact), params)
        assert response.status_code == 200
        assert rows(html(response)) or variant == "overview"
        return len(queries)

    with_10 = {variant: count(variant) for variant in CARD_VARIANTS}
    # Years of history before the first page (whose rows name a product, looked up in one query
    # however many there are): the summary and the chart read activity rows, not interactions.
    step = timedelta(hours=7)
    add_interactions(
        contact,
        card_schema,
        4995,
        start=NOON - timedelta(days=1500),
        step=step,
        payload=FULL_PAYLOAD,
    )
    add_interactions(
        contact, review, 4995, start=NOON - timedelta(days=1460), step=step, payload={"rating": 1}
    )
    with_10000 = {variant: count(variant) for variant in CARD_VARIANTS}
    assert with_10 == with_10000
    # The overview adds what other apps' panels cost.
    assert all(n <= 10 for variant, n in with_10000.items() if variant != "overview")


# --- Untrusted tenant data ----------------------------------------------------------------------


def test_the_xss_corpus_shows_as_text_in_the_html_and_the_chart_data(
    mia: Client, alice: Persona, contact: Contact
) -> None:
    hostile_schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {
            XSS_SCRIPT: {"type": "string", "showInContactCard": True, "sortOrder": 1},
            XSS_END_SCRIPT: {"type": "string", "displayName": XSS_IMG, "showInContactCard": True},
            "site": {"type": "string", "format": "uri", "displayName": XSS_SCRIPT, "sortOrder": 2},
            "note": {"type": "string", "displayName": XSS_END_SCRIPT},
        },
    }
    # Such property names are refused today; a schema stored before that still shows.
    schema = make_schema_stored_before_the_name_rule(
        alice.tenant, "hostile", hostile_schema, display_name=XSS_END_SCRIPT
    )
    other = make_schema(alice.tenant, "hostile-2", display_name=XSS_IMG)
    make_interaction(
        contact,
        schema,
        {
            XSS_SCRIPT: XSS_IMG,
            XSS_END_SCRIPT: XSS_SCRIPT,
            "site": XSS_JS_URL,
            "note": XSS_END_SCRIPT,
        },
        created_date=NOON,
    )
    make_interaction(contact, other, {"rating": 1, "productSku": XSS_SCRIPT}, created_date=NOON)

    for tab in ("interactions", "overview"):
        response = mia.get(card_url(contact), {"tab": tab})
        content = response.content.decode()
        for raw in (XSS_SCRIPT, XSS_IMG, XSS_END_SCRIPT, "<img"):
            assert raw not in content, (tab, raw)
        assert 'href="javascript:' not in content.lower()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content
        assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in content

    response = interactions_tab(mia, contact)
    page = html(response)
    by_schema = {attr(row, "data-schema"): row for row in rows(page)}
    hostile = by_schema["hostile"]
    assert text(find(hostile, "h3", "schema-name")) == XSS_END_SCRIPT
    assert props_list(hostile) == [
        (XSS_IMG, XSS_SCRIPT),  # shown: sortOrder 0, then 1
        (XSS_SCRIPT, XSS_IMG),
        (XSS_END_SCRIPT, XSS_END_SCRIPT),  # in details: sortOrder 0, then 2
        (XSS_SCRIPT, XSS_JS_URL),
    ]
    assert text(find(by_schema["hostile-2"], "span", "product-marker")) == XSS_SCRIPT
    names = {series["name"] for series in chart_data(response)["series"]}
    assert names == {XSS_END_SCRIPT, XSS_IMG}

    listing = mia.get("/contacts/").content.decode()
    assert XSS_IMG not in listing and XSS_END_SCRIPT not in listing


def props_list(node: Element) -> list[tuple[str, str]]:
    return [(text(find(p, "dt")), text(find(p, "dd"))) for p in find_all(node, "div", "prop")]


def test_dates_in_the_list_use_the_tenants_timezone(
    mia: Client, alice: Persona, card_schema: InteractionSchema
) -> None:
    alice.tenant.timezone = "Asia/Tokyo"
    alice.tenant.save(update_fields=["timezone"])
    contact = ContactFactory(tenant=alice.tenant, first_name="Kei", last_name="Sato")
    add_interactions(contact, card_schema, 1, start=datetime(2024, 6, 1, 20, 0, tzinfo=UTC))
    page = html(mia.get("/contacts/"))
    assert "2 Jun 2024, 05:00" in text(find(page, "td", "last-interaction"))


@pytest.mark.parametrize(
    ("zone", "moment"),
    [
        ("America/New_York", datetime(1, 1, 1, 0, 0, tzinfo=UTC)),
        ("Asia/Tokyo", datetime(9999, 12, 31, 23, 0, tzinfo=UTC)),
    ],
)
def test_moments_at_the_ends_of_the_calendar_are_shown_whatever_the_time_zone(
    mia: Client,
    alice: Persona,
    contact: Contact,
    card_schema: InteractionSchema,
    zone: str,
    moment: datetime,
) -> None:
    """Year 1 in New York and year 10000 in Tokyo don't exist: such moments are shown in UTC."""
    alice.tenant.timezone = zone
    alice.tenant.save(update_fields=["timezone"])
    make_interaction(contact, card_schema, {"rating": 2}, created_date=moment)
    for tab in ("overview", "interactions"):
        assert mia.get(card_url(contact, tab=tab)).status_code == 200
    assert mia.get("/contacts/").status_code == 200

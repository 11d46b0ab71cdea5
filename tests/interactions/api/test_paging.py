"""Listing a contact's interactions of a schema: keyset pages, newest first, signed tokens."""

import random
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from engage_site.api.pagination import continuation_encode
from interactions.models import Interaction, InteractionSchema
from tests.conftest import Persona
from tests.factories import ContactFactory, make_interaction, make_schema

SERVER = "http://testserver"
NOON = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)

INVALID_CONTINUATION = {
    "statusCode": 400,
    "errorCode": "InvalidContinuation",
    "message": "The continuation token is not valid for this listing.",
    "errors": [
        {
            "field": "continuation",
            "code": "invalid",
            "message": "is not a continuation of this listing",
        }
    ],
}


@pytest.fixture
def review(alice: Persona) -> InteractionSchema:
    return make_schema(alice.tenant)


def listing_path(version: str = "v2") -> str:
    return f"/api/{version}/interactions"


def listing_query(contact: Any, schema: InteractionSchema) -> dict[str, str]:
    return {"contactId": str(contact.pk), "schemaId": schema.schema_id}


def link(page: dict[str, Any], rel: str) -> str | None:
    hrefs = [entry["href"] for entry in page["links"] if entry["rel"] == rel]
    assert len(hrefs) <= 1, page["links"]
    return hrefs[0] if hrefs else None


def next_link(page: dict[str, Any]) -> str:
    href = link(page, "next")
    assert href is not None, page["links"]
    return href


def next_token(page: dict[str, Any]) -> str:
    return parse_qs(urlsplit(next_link(page)).query)["continuation"][0]


def get_href(persona: Persona, href: str) -> Any:
    assert href.startswith(f"{SERVER}/"), href
    return persona.client.get(href.removeprefix(SERVER))


def first_page(
    persona: Persona, contact: Any, schema: InteractionSchema, version: str = "v2"
) -> Any:
    return persona.client.get(listing_path(version), listing_query(contact, schema))


def newest_first(interactions: list[Interaction]) -> list[str]:
    ordered = sorted(interactions, key=lambda i: (i.created_date, i.pk), reverse=True)
    return [str(i.pk) for i in ordered]


def make_interactions(
    contact: Any, schema: InteractionSchema, dates: list[datetime]
) -> list[Interaction]:
    """One interaction per date, made in a shuffled order so ids don't follow the dates."""
    shuffled = list(dates)
    random.Random(7).shuffle(shuffled)
    return [make_interaction(contact, schema, created_date=date) for date in shuffled]


def dates_with_ties_across_page_edges(count: int = 120) -> list[datetime]:
    """Newest first, one minute apart, except that positions 49-51 and 99-101 share a date."""
    dates = [NOON - timedelta(minutes=position) for position in range(count)]
    for first in (49, 99):
        dates[first + 1] = dates[first + 2] = dates[first]
    return dates


def pages_from(persona: Persona, response: Any, between_pages: Any = None) -> list[dict[str, Any]]:
    """Every page from ``response`` on, following rel next; ``between_pages(n)`` runs after page n.

    Checks on the way that every page is 200 and links to itself.
    """
    pages = []
    requested = SERVER + response.wsgi_request.get_full_path()
    while True:
        assert response.status_code == 200, response.json()
        page = response.json()
        assert link(page, "self") == requested
        pages.append(page)
        href = link(page, "next")
        if href is None:
            return pages
        assert len(pages) < 10, "the pages never end"
        if between_pages is not None:
            between_pages(len(pages))
        requested = href
        response = get_href(persona, href)


def ids_of(pages: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for page in pages for item in page["items"]]


def test_120_interactions_come_in_three_pages_newest_first_with_ties_by_id(
    alice: Persona, contact: Any, review: InteractionSchema
) -> None:
    made = make_interactions(contact, review, dates_with_ties_across_page_edges())
    expected = newest_first(made)

    pages = pages_from(alice, first_page(alice, contact, review))

    assert [len(page["items"]) for page in pages] == [50, 50, 20]
    assert ids_of(pages) == expected
    # The ties really straddle the page edges: the last of one page and the first of the next
    # share their createdDate.
    for before, after in pairwise(pages):
        assert before["items"][-1]["createdDate"] == after["items"][0]["createdDate"]
    assert link(pages[-1], "next") is None
    for page in pages[:-1]:
        assert {"rel": "next", "method": "GET", "href": next_link(page)} in page["links"]
        assert next_link(page).startswith(f"{SERVER}/api/v2/interactions?")


def test_a_page_item_is_the_interaction_as_stored(
    alice: Persona, contact: Any, review: InteractionSchema
) -> None:
    interaction = make_interaction(
        contact, review, payload={"rating": 5, "title": "Great"}, created_date=NOON
    )
    page = first_page(alice, contact, review).json()
    assert page == {
        "links": [
            {
                "rel": "self",
                "method": "GET",
                "href": f"{SERVER}/api/v2/interactions?contactId={contact.pk}&schemaId=review",
            }
        ],
        "items": [
            {
                "id": str(interaction.pk),
                "contactId": str(contact.pk),
                "schemaId": "review",
                "createdDate": "2024-06-01T12:00:00Z",
                "payload": {"rating": 5, "title": "Great"},
            }
        ],
    }


def test_fractions_of_a_second_and_defaulted_dates_page_in_order(
    alice: Persona, contact: Any, review: InteractionSchema
) -> None:
    # Whole seconds next to fractions of a second (stored as text on SQLite), a tie on a fraction
    # across the page edge, and dates defaulted to the time received.
    dates = [NOON - timedelta(milliseconds=250 * position) for position in range(52)]
    dates[50] = dates[49]
    made = make_interactions(contact, review, dates)
    made += [make_interaction(contact, review) for _ in range(3)]

    pages = pages_from(alice, first_page(alice, contact, review))

    assert [len(page["items"]) for page in pages] == [50, 5]
    assert ids_of(pages) == newest_first(made)


def test_an_empty_listing_is_one_page_without_next(
    alice: Persona, contact: Any, review: InteractionSchema
) -> None:
    page = first_page(alice, contact, review).json()
    assert page["items"] == []
    assert [entry["rel"] for entry in page["links"]] == ["self"]


def test_interactions_arriving_while_paging_are_neither_repeated_nor_make_others_skipped(
    alice: Persona, contact: Any, review: InteractionSchema
) -> None:
    original = newest_first(make_interactions(contact, review, dates_with_ties_across_page_edges()))
    newer: list[str] = []
    older: list[str] = []

    def one_at(date: datetime) -> str:
        return str(make_interaction(contact, review, created_date=date).pk)

    def arrive(after_page: int) -> None:
        newer.append(one_at(NOON + timedelta(hours=after_page)))
        if after_page == 1:
            # Inside the range page 2 will show, between two existing dates.
            older.append(one_at(NOON - timedelta(minutes=75, seconds=30)))
        older.append(one_at(NOON - timedelta(days=after_page)))  # older than everything

    pages = pages_from(alice, first_page(alice, contact, review), between_pages=arrive)

    seen = ids_of(pages)
    assert len(seen) == len(set(seen)), "an interaction was repeated"
    assert [i for i in seen if i in original] == original
    assert set(older) <= set(seen[50:])
    assert not set(newer) & set(seen)
    assert len(newer) == 2
    assert [len(page["items"]) for page in pages] == [50, 50, 23]


def test_other_schemas_and_other_contacts_never_appear(
    alice: Persona, contact: Any, review: InteractionSchema
) -> None:
    other_schema = make_schema(alice.tenant, schema_id="purchase")
    other_contact = ContactFactory(tenant=alice.tenant)
    mine = [
        make_interaction(contact, review, created_date=NOON - timedelta(days=d)) for d in (1, 2)
    ]
    make_interaction(contact, other_schema, created_date=NOON)
    make_interaction(other_contact, review, created_date=NOON)

    page = first_page(alice, contact, review).json()

    assert [item["id"] for item in page["items"]] == newest_first(mine)
    assert {item["contactId"] for item in page["items"]} == {str(contact.pk)}
    assert {item["schemaId"] for item in page["items"]} == {"review"}


def test_a_tampered_or_foreign_continuation_is_refused(
    alice: Persona, bob: Persona, contact: Any, review: InteractionSchema
) -> None:
    dates = [NOON - timedelta(minutes=m) for m in range(51)]
    make_interactions(contact, review, dates)
    other_contact = ContactFactory(tenant=alice.tenant)
    make_interactions(other_contact, review, dates)
    purchase = make_schema(alice.tenant, schema_id="purchase")
    make_interactions(contact, purchase, dates)
    bobs_contact = ContactFactory(tenant=bob.tenant)
    bobs_review = make_schema(bob.tenant)
    make_interactions(bobs_contact, bobs_review, dates)

    page = first_page(alice, contact, review).json()
    token = next_token(page)
    middle = len(token) // 2
    flipped = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
    last_of_page = Interaction.objects.get(pk=page["items"][-1]["id"])

    def made_for(tenant_pk: Any) -> str:
        return continuation_encode(
            scope=f"{tenant_pk}:{contact.pk}:{review.pk}",
            created=last_of_page.created_date,
            last_id=last_of_page.pk,
        )

    # Controls: alice's own token, and one made the same way for alice's tenant, are accepted.
    for good in (token, made_for(alice.tenant.pk)):
        query = {**listing_query(contact, review), "continuation": good}
        assert alice.client.get(listing_path(), query).status_code == 200

    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_:"
    tokens = {
        "flipped character": flipped,
        "truncated": token[:-4],
        "random string": "".join(random.Random(3).choices(letters, k=len(token))),
        "signed-looking string": "bm90LWEtdG9rZW4:1tEmzQ:c2lnbmF0dXJl",
        "another contact's listing": next_token(first_page(alice, other_contact, review).json()),
        "another schema's listing": next_token(first_page(alice, contact, purchase).json()),
        "bob's listing": next_token(first_page(bob, bobs_contact, bobs_review).json()),
        "made for bob's tenant with alice's ids": made_for(bob.tenant.pk),
    }

    for case, bad in tokens.items():
        query = {**listing_query(contact, review), "continuation": bad}
        response = alice.client.get(listing_path(), query)
        assert (case, response.status_code, response.json()) == (case, 400, INVALID_CONTINUATION)


def test_an_empty_continuation_is_the_first_page(
    alice: Persona, contact: Any, review: InteractionSchema
) -> None:
    interaction = make_interaction(contact, review)
    query = {**listing_query(contact, review), "continuation": ""}
    response = alice.client.get(listing_path(), query)
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["items"]] == [str(interaction.pk)]


@pytest.mark.parametrize("missing", ["contactId", "schemaId"])
def test_it_requires_both_contact_id_and_schema_id(
    alice: Persona, contact: Any, review: InteractionSchema, missing: str
) -> None:
    query = listing_query(contact, review)
    del query[missing]
    response = alice.client.get(listing_path(), query)
    assert response.status_code == 400
    assert response.json() == {
        "statusCode": 400,
        "errorCode": "InvalidRequest",
        "message": f"The query parameter {missing} is required.",
        "errors": [{"field": missing, "code": "required", "message": "is required"}],
    }


def test_a_malformed_contact_id_is_400(alice: Persona, review: InteractionSchema) -> None:
    response = alice.client.get(listing_path(), {"contactId": "nope", "schemaId": "review"})
    assert response.status_code == 400
    assert response.json() == {
        "statusCode": 400,
        "errorCode": "InvalidRequest",
        "message": "contactId must be a UUID.",
        "errors": [{"field": "contactId", "code": "invalid", "message": "must be a UUID"}],
    }


def test_an_unknown_contact_is_404(alice: Persona, review: InteractionSchema) -> None:
    query = {"contactId": "0b7f2a3e-0000-4000-8000-000000000000", "schemaId": "review"}
    response = alice.client.get(listing_path(), query)
    assert response.status_code == 404
    assert response.json() == {
        "statusCode": 404,
        "errorCode": "ContactNotFound",
        "message": "No contact has this id.",
    }


def test_an_unknown_schema_is_404(alice: Persona, contact: Any) -> None:
    response = alice.client.get(listing_path(), {"contactId": str(contact.pk), "schemaId": "nope"})
    assert response.status_code == 404
    assert response.json() == {
        "statusCode": 404,
        "errorCode": "InteractionSchemaNotFound",
        "message": "No interaction schema has this id.",
    }


def test_bob_gets_not_found_for_alices_contact_schema_and_interaction(
    alice: Persona, bob: Persona, contact: Any, review: InteractionSchema
) -> None:
    interaction = make_interaction(contact, review)
    bobs_contact = ContactFactory(tenant=bob.tenant)

    response = bob.client.get(listing_path(), listing_query(contact, review))
    assert response.status_code == 404
    assert response.json()["errorCode"] == "ContactNotFound"

    response = bob.client.get(listing_path(), listing_query(bobs_contact, review))
    assert response.status_code == 404
    assert response.json()["errorCode"] == "InteractionSchemaNotFound"

    response = bob.client.get(listing_path(), {"interactionId": str(interaction.pk)})
    assert response.status_code == 404
    assert response.json() == {
        "statusCode": 404,
        "errorCode": "InteractionNotFound",
        "message": "No interaction has this id.",
    }


def test_interaction_id_in_the_query_returns_that_one_interaction(
    alice: Persona, contact: Any, review: InteractionSchema
) -> None:
    interaction = make_interaction(contact, review, payload={"rating": 2}, created_date=NOON)
    make_interaction(contact, review)
    response = alice.client.get(listing_path(), {"interactionId": str(interaction.pk)})
    assert response.status_code == 200
    assert response.json() == {
        "id": str(interaction.pk),
        "contactId": str(contact.pk),
        "schemaId": "review",
        "createdDate": "2024-06-01T12:00:00Z",
        "payload": {"rating": 2},
    }


@pytest.mark.parametrize("version", ["v2", "v3"])
def test_both_prefixes_page_and_next_links_keep_the_prefix_used(
    alice: Persona, contact: Any, review: InteractionSchema, version: str
) -> None:
    made = make_interactions(contact, review, [NOON - timedelta(minutes=m) for m in range(55)])

    pages = pages_from(alice, first_page(alice, contact, review, version=version))

    assert ids_of(pages) == newest_first(made)
    assert [len(page["items"]) for page in pages] == [50, 5]
    assert next_link(pages[0]).startswith(f"{SERVER}/api/{version}/interactions?")
    assert str(link(pages[0], "self")).startswith(f"{SERVER}/api/{version}/interactions?")


def test_a_page_of_50_costs_as_many_queries_as_a_page_of_5(
    alice: Persona, contact: Any, review: InteractionSchema
) -> None:
    make_interactions(contact, review, [NOON - timedelta(minutes=m) for m in range(55)])
    # Warm up: the key's last_used_at is written once, and the key is cached by the process.
    first_page(alice, contact, review)

    with CaptureQueriesContext(connection) as fifty:
        response = first_page(alice, contact, review)
    assert len(response.json()["items"]) == 50
    with CaptureQueriesContext(connection) as five:
        response = get_href(alice, next_link(response.json()))
    assert len(response.json()["items"]) == 5

    assert len(fifty.captured_queries) == len(five.captured_queries)
    # The contact, the schema, the page (with its schemas); the key with its tenant is cached.
    assert len(five.captured_queries) == 3, [q["sql"] for q in five.captured_queries]

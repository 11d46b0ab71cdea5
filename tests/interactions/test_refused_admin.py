"""Refused interactions in the admin, through the real HTTP stack: the list filtered by whether a
body was replayed, a read-only page with the reasons as a list, and a replay from that page."""

import json
import re
from typing import Any

import pytest
from django.test import Client
from django.utils.html import escape

from interactions.models import Interaction, RefusedInteraction
from interactions.services.roles import ADMIN, MARKETER
from interactions.services.staff import staff_user_create
from tests.factories import ContactFactory, TenantFactory, make_refused_interaction, make_schema

LIST = "/admin/interactions/refusedinteraction/"


def page_of(refused: RefusedInteraction, view: str = "change") -> str:
    return f"{LIST}{refused.pk}/{view}/"


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def acme(db: None) -> Any:
    return TenantFactory(slug="acme", name="Acme")


@pytest.fixture
def ada(acme: Any) -> Client:
    return client_for(
        staff_user_create(tenant=acme, username="ada", password="pw-long", role=ADMIN)
    )


@pytest.fixture
def unknown_schema(acme: Any) -> RefusedInteraction:
    """Refused because its schema did not exist yet; replayable once the schema is added."""
    contact = ContactFactory(tenant=acme)
    return make_refused_interaction(
        acme, {"contactId": str(contact.pk), "schemaId": "review", "payload": {"rating": 5}}
    )


@pytest.fixture
def broken_rating(acme: Any) -> RefusedInteraction:
    """Refused for breaking its schema: the required rating is missing."""
    make_schema(acme)
    return make_refused_interaction(
        acme,
        {
            "contactId": str(ContactFactory(tenant=acme).pk),
            "schemaId": "review",
            "payload": {"title": "x" * 30},
        },
    )


def test_the_list_filters_replayed_and_not_replayed_bodies(
    ada: Client, acme: Any, unknown_schema: RefusedInteraction
) -> None:
    make_schema(acme)
    replayed = make_refused_interaction(
        acme, {"contactId": str(ContactFactory(tenant=acme).pk), "schemaId": "x"}
    )
    RefusedInteraction.objects.filter(pk=replayed.pk).update(
        replayed_as="0190a000-0000-7000-8000-000000000001"
    )

    def listed(query: dict[str, str]) -> set[str]:
        page = ada.get(LIST, query).content.decode()
        return set(re.findall(rf"{LIST}([0-9a-f-]{{36}})/change/", page))

    assert listed({}) == {str(unknown_schema.pk), str(replayed.pk)}
    assert listed({"replayed": "yes"}) == {str(replayed.pk)}
    assert listed({"replayed": "no"}) == {str(unknown_schema.pk)}
    page = ada.get(LIST).content.decode()
    assert "By replayed" in page
    assert 'href="?replayed=yes"' in page and 'href="?replayed=no"' in page
    assert "0190a000…" in page  # "Replayed as", shortened, links to the interaction
    assert (
        'href="/admin/interactions/interaction/0190a000-0000-7000-8000-000000000001/change/"'
        in (page)
    )


def test_long_reasons_are_cut_in_the_list_and_whole_in_its_tooltip(ada: Client, acme: Any) -> None:
    make_schema(acme)
    contact = ContactFactory(tenant=acme)
    refused = make_refused_interaction(
        acme,
        {"contactId": str(contact.pk), "schemaId": "review", "payload": {"rating": "x"}},
    )
    whole = "; ".join(f"{e['field']}: {e['message']}" for e in refused.errors)
    refused.errors = refused.errors * 5
    refused.save(update_fields=["errors"])
    whole = "; ".join([whole] * 5)
    page = ada.get(LIST).content.decode()
    cell = re.search(r'<span class="refusal-reasons-summary" title="([^"]*)">([^<]*)</span>', page)
    assert cell is not None
    assert cell.group(1) == escape(whole)
    assert len(cell.group(2)) <= 90 and cell.group(2).endswith("…")


def test_the_page_is_read_only_and_lists_the_reasons_by_field(
    ada: Client, broken_rating: RefusedInteraction
) -> None:
    response = ada.get(page_of(broken_rating))
    assert response.status_code == 200
    page = response.content.decode()
    for button in ("_save", "_continue", "_addanother"):
        assert f'name="{button}"' not in page
    reasons = re.findall(
        r'<li><code class="refusal-field">([^<]*)</code> <span class="refusal-reason">([^<]*)'
        r"</span></li>",
        page,
    )
    assert reasons == [(error["field"], escape(error["message"])) for error in broken_rating.errors]
    assert ("payload.rating", "is required") in reasons
    assert escape(json.dumps(broken_rating.errors)) not in page  # no raw JSON
    assert '"field"' not in page and "&quot;field&quot;" not in page
    # Editing is refused even when posted directly.
    assert ada.post(page_of(broken_rating), {"schema_id": "other"}).status_code == 403


def test_a_body_is_replayed_from_its_page_once_its_cause_is_fixed(
    ada: Client, acme: Any, unknown_schema: RefusedInteraction
) -> None:
    page = ada.get(page_of(unknown_schema)).content.decode()
    assert f'<form method="post" action="{page_of(unknown_schema, "replay")}"' in page
    assert "Replay this body" in page

    still = ada.post(page_of(unknown_schema, "replay"), follow=True)
    assert still.redirect_chain == [(page_of(unknown_schema), 302)]
    assert (
        f"Refused interaction {unknown_schema.pk} is still refused: schemaId: "
        "no interaction schema has this id" in still.content.decode()
    )
    assert Interaction.objects.count() == 0

    make_schema(acme)  # the cause, fixed
    accepted = ada.post(page_of(unknown_schema, "replay"), follow=True)
    interaction = Interaction.objects.get()
    assert RefusedInteraction.objects.get(pk=unknown_schema.pk).replayed_as == interaction.pk
    page = accepted.content.decode()
    assert (
        f"Refused interaction {unknown_schema.pk} was accepted as interaction "
        f'<a href="/admin/interactions/'
        f'interaction/{interaction.pk}/change/">{interaction.pk}</a>.'
    ) in page
    assert "Replay this body" not in page  # replayed: the button is gone

    again = ada.post(page_of(unknown_schema, "replay"), follow=True)
    assert "already replayed" in again.content.decode()
    assert Interaction.objects.count() == 1


def test_replay_from_the_page_is_a_post_for_admins_only(
    ada: Client, acme: Any, unknown_schema: RefusedInteraction
) -> None:
    make_schema(acme)
    assert ada.get(page_of(unknown_schema, "replay")).status_code == 405
    marketer = client_for(
        staff_user_create(tenant=acme, username="mia", password="pw-long", role=MARKETER)
    )
    assert marketer.post(page_of(unknown_schema, "replay")).status_code == 403
    assert Interaction.objects.count() == 0

"""The Segments pages through the real stack: list, builder, live count, members, CSV export, the
contact card panel, and what other tenants and roles may see."""

import csv
import io
import json
from datetime import datetime
from typing import Any

import pytest
from django.test import Client

from interactions.models import Contact, InteractionSchema
from interactions.services.roles import ADMIN, MARKETER
from interactions.services.staff import staff_user_create
from interactions.services.tags import contact_tag_add
from segments.models import Segment
from segments.segment_views import csv_cell
from segments.services.membership import segment_refresh
from segments.services.segments import segment_create
from tests.conftest import Persona
from tests.factories import ContactFactory, make_interaction

RULE = {
    "type": "count",
    "schemaId": "review",
    "where": [{"property": "rating", "op": "gte", "value": 4}],
}


def staff_client(persona: Persona, username: str = "mia", role: str = MARKETER) -> Client:
    user = staff_user_create(tenant=persona.tenant, username=username, password="pw", role=role)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def fans(alice: Persona, schemas: dict[str, InteractionSchema], frozen: datetime) -> Segment:
    for name, rating in [("Ann", 5), ("Ben", 4), ("Cid", 1)]:
        contact = ContactFactory(tenant=alice.tenant, first_name=name, last_name="X")
        make_interaction(contact, schemas["review"], {"rating": rating}, created_date=frozen)
    segment = segment_create(tenant=alice.tenant, name="Fans", rule=RULE)
    segment_refresh(segment=segment)
    return segment


def test_the_list_shows_name_member_count_and_last_refresh(alice: Persona, fans: Segment) -> None:
    client = staff_client(alice)
    page = client.get("/segments/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Fans" in html
    assert '<td class="num member-count">2</td>' in html
    assert "15 Jun 2026, 12:00" in html
    # The navigation links to the page for both roles.
    assert '<a href="/segments/">Segments</a>' in html


def test_a_marketer_builds_a_segment_with_the_builder_form(
    alice: Persona,
    schemas: dict[str, InteractionSchema],
    frozen: datetime,
    django_capture_on_commit_callbacks: Any,
) -> None:
    ContactFactory(tenant=alice.tenant)
    client = staff_client(alice)
    assert client.get("/segments/new/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/segments/new/",
            {
                "name": "Never reviewed",
                "description": "",
                "refresh_minutes": 30,
                "rule": '{"type": "never", "schemaId": "review"}',
            },
        )
    segment = Segment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/segments/{segment.pk}/"
    assert (segment.refresh_minutes, segment.member_count) == (30, 1)


def json_script(html: str, element_id: str) -> Any:
    script = html.split(f'<script id="{element_id}" type="application/json">')[1]
    return json.loads(script.split("</script>")[0])


def test_the_builder_offers_schemas_and_segmentable_properties_by_display_name(
    alice: Persona, schemas: dict[str, InteractionSchema]
) -> None:
    vip = ContactFactory(tenant=alice.tenant, contact_type="Member")
    contact_tag_add(tenant=alice.tenant, contact=vip, name="vip")
    html = staff_client(alice).get("/segments/new/").content.decode()
    choices = json_script(html, "segment-choices")
    assert choices["tags"] == ["vip"]
    assert choices["contactTypes"] == ["Member"]
    purchase, review = choices["schemas"]  # by display name
    # A schema with productSku also offers the facts of its products (an empty catalog here).
    assert review == {
        "id": "review",
        "label": "Wrote a review",
        "properties": [
            {"name": "rating", "label": "Rating", "type": "integer"},
            {
                "name": "product.brand",
                "label": "Product brand",
                "type": "string",
                "suggestions": [],
            },
            {
                "name": "product.category",
                "label": "Product category (any level)",
                "type": "string",
                "suggestions": [],
            },
            {"name": "product.price", "label": "Product price", "type": "number"},
            {
                "name": "product.price.currency",
                "label": "Product price currency",
                "type": "string",
                "suggestions": [],
            },
        ],
    }
    assert purchase["label"] == "Purchase"
    # Only properties with addToSegmentation; dates typed as dates with their format.
    assert [(p["name"], p["type"]) for p in purchase["properties"]] == [
        ("amount", "number"),
        ("channel", "string"),
        ("gift", "boolean"),
        ("shippedAt", "date"),
        ("day", "date"),
    ]
    assert purchase["properties"][3]["format"] == "date-time"
    # Marketers get the form without the Advanced JSON view; admins get both.
    assert 'id="rule-json"' not in html
    admin = staff_client(alice, username="ada", role=ADMIN)
    assert 'id="rule-json"' in admin.get("/segments/new/").content.decode()


def test_the_builder_shows_the_rule_s_problems(
    alice: Persona, schemas: dict[str, InteractionSchema]
) -> None:
    client = staff_client(alice)
    rule = (
        '{"type": "count", "schemaId": "review", '
        '"where": [{"property": "title", "op": "eq", "value": "x"}]}'
    )
    response = client.post(
        "/segments/new/", {"name": "Titles", "refresh_minutes": 60, "rule": rule}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "The rule has problems: see the conditions marked below." in html
    # The builder's script places each problem at its row, in plain words.
    problems = json.loads(
        html.split('<script id="rule-problems" type="application/json">')[1].split("</script>")[0]
    )
    assert problems == [
        {
            "field": "rule.where.0.property",
            "code": "invalid",
            "message": "'title' of review is not segmentable (addToSegmentation is not true)",
        }
    ]
    assert not Segment.objects.exists()


@pytest.mark.usefixtures("fans")
def test_the_live_count_answers_for_a_draft_rule(alice: Persona) -> None:
    client = staff_client(alice)
    response = client.post("/segments/count/", RULE, content_type="application/json")
    ann, ben = (Contact.objects.get(first_name=name) for name in ("Ann", "Ben"))
    # The count, and the first matching contacts by name for the builder's preview.
    assert response.json() == {
        "count": 2,
        "preview": [
            {"id": str(c.pk), "name": f"{c.first_name} X", "email": c.email} for c in (ann, ben)
        ],
    }
    bad = client.post(
        "/segments/count/", {"type": "never", "schemaId": "x"}, content_type="application/json"
    )
    assert bad.status_code == 200  # the builder shows problems while the rule is typed
    assert bad.json() == {
        "errors": [
            {"field": "rule.schemaId", "code": "invalid", "message": "no interaction schema 'x'"}
        ]
    }


def test_the_member_list_links_to_contact_cards(alice: Persona, fans: Segment) -> None:
    client = staff_client(alice)
    html = client.get(f"/segments/{fans.pk}/members/").content.decode()
    for contact in Contact.objects.filter(first_name__in=["Ann", "Ben"]):
        assert f'href="/contacts/{contact.pk}/"' in html
    cid = Contact.objects.get(first_name="Cid")
    assert str(cid.pk) not in html


def test_the_member_list_pages_with_a_continuation(
    alice: Persona, schemas: dict[str, InteractionSchema], frozen: datetime
) -> None:
    for _ in range(52):
        make_interaction(ContactFactory(tenant=alice.tenant), schemas["review"], {"rating": 5})
    segment = segment_create(tenant=alice.tenant, name="Fans", rule=RULE)
    segment_refresh(segment=segment)
    client = staff_client(alice)
    first = client.get(f"/segments/{segment.pk}/members/").content.decode()
    assert first.count('class="contact-name"') == 25
    next_url = first.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
    second = client.get(f"/segments/{segment.pk}/members/{next_url.replace('&amp;', '&')}")
    assert second.content.decode().count('class="contact-name"') == 25
    tampered = client.get(f"/segments/{segment.pk}/members/?continuation=nope")
    assert tampered.status_code == 400


def test_the_csv_export_streams_every_member_and_escapes_formulas(
    alice: Persona, schemas: dict[str, InteractionSchema], frozen: datetime
) -> None:
    evil = ContactFactory(
        tenant=alice.tenant, first_name='=HYPERLINK("http://x")', last_name="+1", email="@me"
    )
    make_interaction(evil, schemas["review"], {"rating": 5})
    plain = ContactFactory(tenant=alice.tenant, first_name="Ann", last_name="-", email="a@b.c")
    make_interaction(plain, schemas["review"], {"rating": 5})
    segment = segment_create(tenant=alice.tenant, name="Fans", rule=RULE)
    segment_refresh(segment=segment)

    response = staff_client(alice).get(f"/segments/{segment.pk}/members.csv")
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="fans-2026-06-15.csv"'
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["contactId", "contactType", "email", "firstName", "lastName", "enteredAt"]
    by_id = {row[0]: row for row in rows[1:]}
    assert by_id[str(evil.pk)][2:5] == ["'@me", '\'=HYPERLINK("http://x")', "'+1"]
    assert by_id[str(plain.pk)][2:6] == ["a@b.c", "Ann", "'-", "2026-06-15T12:00:00+00:00"]


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
    ],
)
def test_csv_cells_that_start_like_a_formula_are_quoted(value: Any, cell: str) -> None:
    assert csv_cell(value) == cell


def test_the_contact_card_shows_the_contact_s_segments(alice: Persona, fans: Segment) -> None:
    ann = Contact.objects.get(first_name="Ann")
    cid = Contact.objects.get(first_name="Cid")
    client = staff_client(alice)
    card = client.get(f"/contacts/{ann.pk}/").content.decode()
    assert f'<a href="/segments/{fans.pk}/members/">Fans</a>' in card
    other = client.get(f"/contacts/{cid.pk}/").content.decode()
    assert "In no segment." in other


def test_another_tenant_s_staff_get_404s_for_every_page_of_a_segment(
    alice: Persona, bob: Persona, fans: Segment
) -> None:
    client = staff_client(bob, username="ben")
    for path in ("", "members/", "members.csv"):
        assert client.get(f"/segments/{fans.pk}/{path}").status_code == 404
    assert client.post(f"/segments/{fans.pk}/refresh/").status_code == 404
    # A marketer may not delete segments at all: refused before any segment is looked up.
    assert client.post(f"/segments/{fans.pk}/delete/").status_code == 403
    bobs_admin = staff_client(bob, username="bea", role=ADMIN)
    assert bobs_admin.post(f"/segments/{fans.pk}/delete/", {"confirm": "delete"}).status_code == 404
    assert Segment.objects.filter(pk=fans.pk).exists()
    assert "Fans" not in client.get("/segments/").content.decode()


def test_an_admin_refreshes_and_deletes_a_segment(alice: Persona, fans: Segment) -> None:
    client = staff_client(alice, username="ada", role=ADMIN)
    assert client.post(f"/segments/{fans.pk}/refresh/").status_code == 302
    assert client.post(f"/segments/{fans.pk}/delete/", {"confirm": "delete"}).status_code == 302
    assert not Segment.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(fans: Segment) -> None:
    response = Client().get("/segments/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_member_page_and_the_card_panel_cost_the_same_queries_whatever_the_size(
    alice: Persona, schemas: dict[str, InteractionSchema], frozen: datetime
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = staff_client(alice)
    segments = []
    for size in (2, 40):
        for _ in range(size):
            contact = ContactFactory(tenant=alice.tenant)
            make_interaction(contact, schemas["review"], {"rating": 5})
        segment = segment_create(tenant=alice.tenant, name=f"Size {size}", rule=RULE)
        segment_refresh(segment=segment)
        segments.append(segment)
    counts = []
    for segment in segments:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/segments/{segment.pk}/members/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    member = Contact.objects.filter(tenant=alice.tenant).first()
    assert member is not None
    with CaptureQueriesContext(connection) as with_panel:
        client.get(f"/contacts/{member.pk}/")
    assert "segments_segmentmembership" in " ".join(q["sql"] for q in with_panel.captured_queries)
    panel_queries = [q for q in with_panel.captured_queries if "segments_" in q["sql"]]
    assert len(panel_queries) == 1

"""The segment page through the real stack: size over time from the stored stays, entries and
exits of the last 7 days, members in pages that say where they are, the CSV named after the
segment, and the delete question with the role rules."""

import csv
import io
import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from interactions.extensions import extension_registered
from interactions.models import Contact, InteractionSchema
from interactions.public import Extension, Reference
from interactions.services.roles import ADMIN, MARKETER
from segments.models import Segment, SegmentMembership
from segments.services.membership import segment_refresh
from segments.services.segments import segment_create
from tests.conftest import Persona
from tests.factories import ContactFactory, make_interaction
from tests.segments.test_pages import RULE, staff_client

DASH = "\N{EN DASH}"
NOW_ISO = "2026-06-15T12:00:00+00:00"
RECENT_REVIEW = {"type": "count", "schemaId": "review", "window": {"type": "lastDays", "days": 1}}


def day_rows(html: str) -> dict[str, tuple[int, int, int]]:
    """The size table: day -> (members at the end of the day, entered, exited)."""
    found = re.findall(
        r'<tr data-day="([\d-]+)">.*?<td class="num size">(\d+)</td>'
        r'<td class="num entered">(\d+)</td><td class="num exited">(\d+)</td>',
        html,
    )
    return {day: (int(size), int(entered), int(exited)) for day, size, entered, exited in found}


def stay(segment: Segment, contact: Contact, entered: datetime, exited: datetime | None) -> None:
    SegmentMembership.objects.create(
        tenant=segment.tenant,
        segment=segment,
        contact=contact,
        entered_at=entered,
        exited_at=exited,
    )


def text_of(html: str, css_class: str) -> str:
    match = re.search(rf'class="[^"]*\b{css_class}\b[^"]*">([^<]*)<', html)
    assert match, css_class
    return match.group(1)


@pytest.fixture
def empty_segment(
    alice: Persona, schemas: dict[str, InteractionSchema], frozen: datetime
) -> Segment:
    return Segment.objects.create(tenant=alice.tenant, name="VIP customers", rule=RULE)


def test_the_size_over_time_follows_the_stored_entries_and_exits(
    alice: Persona, empty_segment: Segment, frozen: datetime
) -> None:
    ann, ben, cid = (ContactFactory(tenant=alice.tenant) for _ in range(3))
    day = timedelta(days=1)
    stay(empty_segment, ann, frozen - 40 * day, None)  # in since before the chart's span
    stay(empty_segment, ben, frozen - 40 * day, frozen - 5 * day)  # left 5 days ago...
    stay(empty_segment, ben, frozen - 2 * day, None)  # ...and came back 2 days ago
    stay(empty_segment, cid, frozen - 3 * day, frozen - 3 * day + timedelta(hours=1))  # one hour

    html = staff_client(alice).get(f"/segments/{empty_segment.pk}/members/").content.decode()

    rows = day_rows(html)
    assert len(rows) == 30
    assert rows["2026-05-17"] == (2, 0, 0)  # the first day of the 30
    assert rows["2026-06-09"] == (2, 0, 0)
    assert rows["2026-06-10"] == (1, 0, 1)  # Ben left
    assert rows["2026-06-12"] == (1, 1, 1)  # Cid came and went the same day
    assert rows["2026-06-13"] == (2, 1, 0)  # Ben came back
    assert rows["2026-06-15"] == (2, 0, 0)  # today
    assert "<title" in html and "2 then, 2 now." in html


def test_the_size_over_time_is_derived_from_real_refreshes_that_let_a_contact_back_in(
    alice: Persona,
    schemas: dict[str, InteractionSchema],
    frozen: datetime,
    time_machine: Any,
) -> None:
    ann = ContactFactory(tenant=alice.tenant)
    segment = segment_create(tenant=alice.tenant, name="Reviewed lately", rule=RECENT_REVIEW)
    # Ann reviews on day -10 (in), not again by day -8 (out), reviews on day -6 (back in), and
    # by today that review is too old (out again).
    for days_ago, reviews in ((10, True), (8, False), (6, True), (0, False)):
        time_machine.move_to(frozen - timedelta(days=days_ago), tick=False)
        if reviews:
            make_interaction(ann, schemas["review"])
        segment_refresh(segment=segment)

    assert SegmentMembership.objects.filter(segment=segment).count() == 2
    html = staff_client(alice).get(f"/segments/{segment.pk}/members/").content.decode()
    rows = day_rows(html)
    assert [rows[f"2026-06-{d:02}"][0] for d in range(4, 16)] == [0, 1, 1, 0, 0, 1] + [1] * 5 + [0]
    assert rows["2026-06-09"] == (1, 1, 0)
    assert rows["2026-06-15"] == (0, 0, 1)


def test_a_longer_span_is_offered_and_kept_while_paging(
    alice: Persona, empty_segment: Segment
) -> None:
    client = staff_client(alice)
    html = client.get(f"/segments/{empty_segment.pk}/members/?days=90").content.decode()
    assert len(day_rows(html)) == 90
    assert '<a href="?days=90" aria-current="page">90 days</a>' in html
    # An unknown span is the default one, not an error.
    assert (
        len(
            day_rows(
                client.get(f"/segments/{empty_segment.pk}/members/?days=7000").content.decode()
            )
        )
        == 30
    )


def test_the_page_counts_entries_and_exits_of_the_last_7_days(
    alice: Persona, empty_segment: Segment, frozen: datetime
) -> None:
    contacts = [ContactFactory(tenant=alice.tenant) for _ in range(4)]
    day = timedelta(days=1)
    stay(empty_segment, contacts[0], frozen - 30 * day, frozen - 6 * day)  # exit counts
    stay(empty_segment, contacts[1], frozen - 8 * day, None)  # entry too old
    stay(empty_segment, contacts[2], frozen - 7 * day + timedelta(minutes=1), None)  # counts
    stay(empty_segment, contacts[3], frozen - 2 * day, frozen - day)  # both count
    html = staff_client(alice).get(f"/segments/{empty_segment.pk}/members/").content.decode()
    assert text_of(html, "entered-recently") == "2"
    assert text_of(html, "exited-recently") == "2"
    assert text_of(html, "member-total") == "2"


def test_member_pages_say_where_they_are(
    alice: Persona, schemas: dict[str, InteractionSchema], frozen: datetime
) -> None:
    for _ in range(60):
        make_interaction(ContactFactory(tenant=alice.tenant), schemas["review"], {"rating": 5})
    segment = segment_create(tenant=alice.tenant, name="Fans", rule=RULE)
    segment_refresh(segment=segment)
    client = staff_client(alice)

    url = f"/segments/{segment.pk}/members/"
    seen: list[str] = []
    positions = []
    while url:
        html = client.get(url).content.decode()
        positions.append(text_of(html, "position"))
        seen += re.findall(r'<tr data-contact="([^"]+)">', html)
        next_link = re.search(r'<a href="(\?[^"]+)" rel="next">Next page →</a>', html)
        url = (
            f"/segments/{segment.pk}/members/{next_link.group(1).replace('&amp;', '&')}"
            if next_link
            else ""
        )
    assert positions == [f"1{DASH}25 of 60", f"26{DASH}50 of 60", f"51{DASH}60 of 60"]
    assert len(seen) == len(set(seen)) == 60


def test_the_csv_is_named_after_the_segment_and_the_day(
    alice: Persona, schemas: dict[str, InteractionSchema], frozen: datetime
) -> None:
    ann = ContactFactory(tenant=alice.tenant, first_name="Ann", email="ann@example.com")
    make_interaction(ann, schemas["review"], {"rating": 5})
    segment = segment_create(tenant=alice.tenant, name="VIP customers!", rule=RULE)
    segment_refresh(segment=segment)
    client = staff_client(alice)

    response = client.get(f"/segments/{segment.pk}/members.csv")
    assert response["Content-Disposition"] == 'attachment; filename="vip-customers-2026-06-15.csv"'
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows == [
        ["contactId", "contactType", "email", "firstName", "lastName", "enteredAt"],
        [
            str(ann.pk),
            ann.contact_type,
            "ann@example.com",
            "Ann",
            ann.last_name,
            "2026-06-15T12:00:00+00:00",
        ],
    ]


@pytest.mark.parametrize(
    ("name", "header"),
    [
        ('Quotes "and" slashes / \\', 'attachment; filename="quotes-and-slashes-2026-06-15.csv"'),
        ("Café fans", "attachment; filename*=utf-8''caf%C3%A9-fans-2026-06-15.csv"),
        ("!!!", 'attachment; filename="segment-2026-06-15.csv"'),
    ],
)
def test_the_csv_name_is_safe_whatever_the_segment_is_called(
    alice: Persona, empty_segment: Segment, name: str, header: str
) -> None:
    Segment.objects.filter(pk=empty_segment.pk).update(name=name)
    response = staff_client(alice).get(f"/segments/{empty_segment.pk}/members.csv")
    assert response["Content-Disposition"] == header


def test_the_csv_is_dated_in_the_tenant_s_time_zone(alice: Persona, empty_segment: Segment) -> None:
    alice.tenant.timezone = "Pacific/Auckland"  # 2026-06-15 12:00 UTC is 00:00 the next day there
    alice.tenant.save(update_fields=["timezone"])
    response = staff_client(alice).get(f"/segments/{empty_segment.pk}/members.csv")
    assert response["Content-Disposition"] == 'attachment; filename="vip-customers-2026-06-16.csv"'


def test_an_admin_is_asked_before_a_segment_is_deleted(
    alice: Persona, empty_segment: Segment
) -> None:
    client = staff_client(alice, username="ada", role=ADMIN)
    page = client.get(f"/segments/{empty_segment.pk}/")
    assert page.status_code == 200

    segment_page = client.get(f"/segments/{empty_segment.pk}/members/").content.decode()
    assert f'href="/segments/{empty_segment.pk}/delete/">Delete segment</a>' in segment_page
    question = client.get(f"/segments/{empty_segment.pk}/delete/")
    assert question.status_code == 200
    html = question.content.decode()
    assert "Delete the segment “VIP customers”?" in html
    assert "Nothing uses it" in html
    assert Segment.objects.filter(pk=empty_segment.pk).exists()

    # A POST that does not come from the question (no confirmation) only asks again.
    assert client.post(f"/segments/{empty_segment.pk}/delete/").status_code == 200
    assert Segment.objects.filter(pk=empty_segment.pk).exists()

    done = client.post(f"/segments/{empty_segment.pk}/delete/", {"confirm": "delete"})
    assert done.status_code == 302
    assert done["Location"] == "/segments/"
    assert not Segment.objects.filter(pk=empty_segment.pk).exists()
    assert "Segment “VIP customers” deleted." in client.get("/segments/").content.decode()


def test_the_delete_question_lists_what_uses_the_segment(
    alice: Persona, empty_segment: Segment
) -> None:
    def uses(*, tenant: Any, target: Any) -> list[Reference]:
        if isinstance(target, Segment) and target.tenant_id == tenant.pk:
            return [Reference("Automation “Welcome VIPs”", "/automations/x/")]
        return []

    with extension_registered(Extension(app_label="referrer", reference_finders=(uses,))):
        html = (
            staff_client(alice, username="ada", role=ADMIN)
            .get(f"/segments/{empty_segment.pk}/delete/")
            .content.decode()
        )
    assert '<li><a href="/automations/x/">Automation “Welcome VIPs”</a></li>' in html
    assert "Nothing uses it" not in html


def test_a_marketer_may_not_delete_a_segment(alice: Persona, empty_segment: Segment) -> None:
    client = staff_client(alice, role=MARKETER)
    segment_page = client.get(f"/segments/{empty_segment.pk}/members/").content.decode()
    assert "Delete segment" not in segment_page
    assert "Edit rule" in segment_page  # marketers still build and change segments
    assert client.get(f"/segments/{empty_segment.pk}/delete/").status_code == 403
    refused = client.post(f"/segments/{empty_segment.pk}/delete/", {"confirm": "delete"})
    assert refused.status_code == 403
    assert Segment.objects.filter(pk=empty_segment.pk).exists()


def test_the_list_links_each_segment_to_its_page(alice: Persona, empty_segment: Segment) -> None:
    html = staff_client(alice).get("/segments/").content.decode()
    assert (
        f'<a class="contact-name" href="/segments/{empty_segment.pk}/members/">VIP customers</a>'
        in html
    )
    edit = f'<a href="/segments/{empty_segment.pk}/" aria-label="Edit rule of VIP customers">'
    assert f"{edit}Edit rule</a>" in html


def test_the_segment_page_costs_the_same_queries_whatever_the_history(
    alice: Persona, schemas: dict[str, InteractionSchema], frozen: datetime
) -> None:
    client = staff_client(alice)
    client.get("/segments/")  # the session and the user are loaded once
    counts = []
    for size in (2, 40):
        segment = Segment.objects.create(tenant=alice.tenant, name=f"Size {size}", rule=RULE)
        for n in range(size):
            contact = ContactFactory(tenant=alice.tenant)
            stay(segment, contact, frozen - timedelta(days=n % 20 + 1), frozen - timedelta(hours=n))
            stay(segment, contact, frozen, None)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/segments/{segment.pk}/members/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]

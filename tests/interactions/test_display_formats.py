"""One format on every staff page and in the admin: moments in the tenant's time zone and locale,
numbers grouped in that locale, properties by their display names, lists paged with positions."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from interactions.display import display_for, display_override, money_text
from interactions.models import InteractionSchema, Tenant
from interactions.services.roles import ADMIN
from interactions.services.staff import staff_user_create
from tests.conftest import Persona
from tests.factories import ContactFactory, make_interaction
from tests.interactions.test_contact_pages import (
    add_interactions,
    card_schema,  # noqa: F401 (a fixture)
    find,
    find_all,
    html,
    interactions_tab,
    mia,  # noqa: F401 (a fixture)
    text,
)

# Page text is read with whitespace collapsed, so the no-break spaces some locales group digits
# and split times with read as spaces.
# 22:30 UTC on 1 June is already 2 June in Tokyo and 00:30 in Stockholm.
LATE_EVENING = datetime(2024, 6, 1, 22, 30, tzinfo=UTC)


def set_display(tenant: Tenant, *, timezone: str, locale: str) -> None:
    tenant.timezone, tenant.locale = timezone, locale
    tenant.full_clean()
    tenant.save(update_fields=["timezone", "locale"])


@pytest.mark.parametrize(
    ("timezone", "locale", "moment", "day"),
    [
        ("UTC", "en-GB", "1 Jun 2024, 22:30", "1 Jun 2024"),
        ("Asia/Tokyo", "en-US", "Jun 2, 2024, 7:30 AM", "Jun 2, 2024"),
        ("Europe/Stockholm", "sv-SE", "2 juni 2024 00:30", "2 juni 2024"),
        ("Europe/Berlin", "de-DE", "2. Juni 2024, 00:30", "2. Juni 2024"),
    ],
)
def test_the_contact_list_writes_moments_in_the_tenants_zone_and_locale(
    mia: Client,  # noqa: F811
    alice: Persona,
    card_schema: InteractionSchema,  # noqa: F811
    timezone: str,
    locale: str,
    moment: str,
    day: str,
) -> None:
    set_display(alice.tenant, timezone=timezone, locale=locale)
    contact = ContactFactory(tenant=alice.tenant, created_on=LATE_EVENING)
    add_interactions(contact, card_schema, 1, start=LATE_EVENING)

    page = html(mia.get("/contacts/"))

    assert text(find(page, "td", "last-interaction")).endswith(f"· {moment}")
    assert text(find(page, "td", "added")) == day


def test_the_contact_card_writes_its_moments_and_property_values_the_same_way(
    mia: Client,  # noqa: F811
    alice: Persona,
    card_schema: InteractionSchema,  # noqa: F811
) -> None:
    set_display(alice.tenant, timezone="Asia/Tokyo", locale="en-GB")
    contact = ContactFactory(tenant=alice.tenant)
    make_interaction(
        contact,
        card_schema,
        {"rating": 4, "visitedAt": "2024-06-01T22:30:00+00:00", "amount": 1234567.5},
        created_date=LATE_EVENING,
    )

    page = html(interactions_tab(mia, contact))

    assert text(find(page, "time", "when")) == "2 Jun 2024, 07:30"
    props = find_all(page, "div", "prop")
    values = {text(prop.children[0]): text(prop.children[1]) for prop in props}
    assert values["Visited at"] == "2 Jun 2024, 07:30"
    assert values["Amount"] == "1,234,567.5"


@pytest.mark.parametrize(
    ("locale", "grouped"), [("en-GB", "1,234"), ("sv-SE", "1 234"), ("de-DE", "1.234")]
)
def test_counts_are_grouped_in_the_tenants_locale(
    mia: Client,  # noqa: F811
    alice: Persona,
    card_schema: InteractionSchema,  # noqa: F811
    locale: str,
    grouped: str,
) -> None:
    set_display(alice.tenant, timezone="UTC", locale=locale)
    contact = ContactFactory(tenant=alice.tenant)
    add_interactions(contact, card_schema, 1234)

    listing = html(mia.get("/contacts/"))
    card = html(interactions_tab(mia, contact))

    assert text(find(listing, "td", "interaction-count")) == grouped
    assert text(find(card, "span", "tab-count")) == grouped


def test_a_dropped_property_is_named_by_its_display_name(
    mia: Client,  # noqa: F811
    alice: Persona,
    card_schema: InteractionSchema,  # noqa: F811
) -> None:
    contact = ContactFactory(tenant=alice.tenant)
    make_interaction(contact, card_schema, {"rating": 4, "amount": "lots"})

    page = html(interactions_tab(mia, contact))

    dropped = find(find(page, "ul", "dropped"), "strong", "dropped-name")
    assert text(dropped) == "Amount"
    assert ("title", "amount") in dropped.attributes


def test_the_admin_writes_moments_as_the_staff_pages_do(alice: Persona) -> None:
    set_display(alice.tenant, timezone="Europe/Stockholm", locale="sv-SE")
    admin = Client()
    admin.force_login(
        staff_user_create(tenant=alice.tenant, username="ada", password="a-long-pw", role=ADMIN)
    )
    contact = ContactFactory(tenant=alice.tenant, created_on=LATE_EVENING)

    page = admin.get(f"/admin/interactions/contact/{contact.pk}/change/").content.decode()

    assert "2 juni 2024 00:30" in page
    assert "June 1, 2024" not in page


def test_the_admin_groups_numbers_as_the_staff_pages_do(alice: Persona) -> None:
    set_display(alice.tenant, timezone="UTC", locale="de-DE")
    Tenant.objects.filter(pk=alice.tenant.pk).update(max_schemas=12345)
    admin = Client()
    admin.force_login(
        staff_user_create(tenant=alice.tenant, username="ada", password="a-long-pw", role=ADMIN)
    )

    listing = html(admin.get("/admin/interactions/tenant/"))

    assert text(find(listing, "td", "field-max_schemas_shown")) == "12.345"


def test_a_tenant_locale_must_be_a_known_language_tag(alice: Persona) -> None:
    alice.tenant.locale = "xx-nowhere"
    with pytest.raises(ValidationError) as refused:
        alice.tenant.full_clean()
    assert refused.value.message_dict == {
        "locale": [
            "'xx-nowhere' is not a known locale; use a language tag such as en-GB, sv-SE or de-DE"
        ]
    }


def test_the_chart_has_a_table_alternative_of_its_periods_with_interactions(
    mia: Client,  # noqa: F811
    alice: Persona,
    card_schema: InteractionSchema,  # noqa: F811
) -> None:
    contact = ContactFactory(tenant=alice.tenant)
    add_interactions(contact, card_schema, 3, start=LATE_EVENING, step=timedelta(days=2))

    page = html(interactions_tab(mia, contact, since="2024-06-01", until="2024-06-06"))

    table = find(find(page, "details", "chart-table"), "table")
    head = [text(cell) for cell in find_all(find(table, "thead"), "th")]
    body = [
        [text(cell) for cell in row.children if not isinstance(cell, str)]
        for row in find_all(find(table, "tbody"), "tr")
    ]
    assert head == ["Day", "Visited a store", "Total"]
    assert body == [
        ["1 Jun 2024", "1", "1"],
        ["3 Jun 2024", "1", "1"],
        ["5 Jun 2024", "1", "1"],
    ]


@pytest.mark.parametrize(
    ("locale", "amount", "currency", "written"),
    [
        ("en-GB", Decimal("1899.5"), "SEK", "SEK1,899.50"),
        ("sv-SE", Decimal("1899.5"), "SEK", "1 899,50 kr"),
        ("de-DE", Decimal("12.3456"), "EUR", "12,35 €"),
        ("en-US", Decimal("1234"), "JPY", "¥1,234"),
        ("en-GB", Decimal("5"), "", "5"),
        ("en-GB", None, "SEK", "—"),
    ],
)
def test_prices_are_written_in_the_tenants_locale_with_their_currency(
    locale: str, amount: Decimal | None, currency: str, written: str
) -> None:
    with display_override(display_for(timezone="UTC", locale=locale)):
        assert money_text(amount, currency).replace("\xa0", " ") == written

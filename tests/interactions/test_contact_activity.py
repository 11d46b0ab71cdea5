"""Contact activity rows (what the contact card reads) always equal a recount of the interactions:
after any mix of single and batch inserts and deletes, a contact erased, a schema deleted, and the
tenant's time zone changed."""

import json
import zoneinfo
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interactions.models import Contact, ContactActivity, Interaction, InteractionSchema, Tenant
from interactions.services.contacts import contact_erase
from interactions.services.ingest import interactions_receive_many
from interactions.services.interactions import interaction_delete
from interactions.services.schemas import interaction_schema_delete
from interactions.services.tenants import tenant_update
from tests.factories import ContactFactory, TenantFactory, make_interaction, make_schema

START = datetime(2025, 3, 30, 0, 0, tzinfo=UTC)  # around a change of summer time in Europe
ZONE = "Europe/Stockholm"


def recount(tenant: Tenant) -> set[tuple[Any, ...]]:
    """The rows as they should be, counted in Python from the interactions."""
    tz = zoneinfo.ZoneInfo(tenant.timezone)
    totals: dict[tuple[Any, ...], list[Any]] = {}
    periods: dict[tuple[Any, ...], int] = defaultdict(int)
    for contact_id, schema_id, created in Interaction.objects.filter(
        tenant=tenant, schema__deleted_at__isnull=True
    ).values_list("contact_id", "schema_id", "created_date"):
        total = totals.setdefault((contact_id, schema_id), [0, created, created])
        total[0] += 1
        total[1], total[2] = min(total[1], created), max(total[2], created)
        day = created.astimezone(tz).date()
        periods[(contact_id, schema_id, "day", day)] += 1
        periods[(contact_id, schema_id, "month", day.replace(day=1))] += 1
    return {
        (contact_id, schema_id, "all", date(1, 1, 1), n, first, last)
        for (contact_id, schema_id), (n, first, last) in totals.items()
    } | {(*key, n, None, None) for key, n in periods.items()}


def stored(tenant: Tenant) -> set[tuple[Any, ...]]:
    return set(
        ContactActivity.objects.filter(tenant=tenant, schema__deleted_at__isnull=True).values_list(
            "contact_id", "schema_id", "period", "starts_on", "count", "first_at", "last_at"
        )
    )


def store_batch(tenant: Tenant, items: list[tuple[Contact, InteractionSchema, datetime]]) -> None:
    documents = [
        {
            "contactId": str(contact.pk),
            "schemaId": schema.schema_id,
            "createdDate": created.isoformat(),
            "payload": {"rating": 3},
        }
        for contact, schema, created in items
    ]
    results = interactions_receive_many(
        tenant=tenant,
        documents=documents,
        bodies=[json.dumps(document).encode() for document in documents],
        received_at=timezone.now(),
    )
    assert all(result.refusal is None for result in results)


@pytest.fixture
def world(db: None) -> dict[str, Any]:
    tenant = TenantFactory(slug="activity", timezone=ZONE)
    return {
        "tenant": tenant,
        "contacts": [ContactFactory(tenant=tenant) for _ in range(2)],
        "schemas": [make_schema(tenant, "review"), make_schema(tenant, "visit")],
    }


# An interaction: which contact, which schema, and when (in hours from START: both sides of
# midnight and of the summer-time change, in local time).
interaction_spec = st.tuples(
    st.integers(0, 1), st.integers(0, 1), st.integers(-30, 30 * 24).map(timedelta(hours=1).__mul__)
)
operation = st.one_of(
    st.tuples(st.just("add"), interaction_spec),
    st.tuples(st.just("batch"), st.lists(interaction_spec, min_size=1, max_size=6)),
    st.tuples(st.just("delete"), st.integers(0, 1000)),
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(operation, min_size=1, max_size=12))
def test_the_rows_equal_a_recount_after_any_inserts_and_deletes(
    world: dict[str, Any], operations: list[tuple[str, Any]]
) -> None:
    tenant, contacts, schemas = world["tenant"], world["contacts"], world["schemas"]
    with transaction.atomic():  # each example starts from no interactions
        for kind, argument in operations:
            if kind == "add":
                contact, schema, offset = argument
                make_interaction(contacts[contact], schemas[schema], created_date=START + offset)
            elif kind == "batch":
                store_batch(
                    tenant,
                    [(contacts[c], schemas[s], START + offset) for c, s, offset in argument],
                )
            else:
                existing = list(Interaction.objects.filter(tenant=tenant).order_by("id"))
                if existing:
                    interaction_delete(
                        tenant=tenant, interaction=existing[argument % len(existing)]
                    )
            assert stored(tenant) == recount(tenant)
        transaction.set_rollback(True)


def test_erasing_a_contact_takes_its_rows_and_leaves_the_others(world: dict[str, Any]) -> None:
    tenant, (ann, bob), (review, _) = world["tenant"], world["contacts"], world["schemas"]
    for contact in (ann, bob):
        make_interaction(contact, review, created_date=START)

    contact_erase(tenant=tenant, contact=ann)

    assert not ContactActivity.objects.filter(contact_id=ann.pk).exists()
    assert stored(tenant) == recount(tenant)
    assert {row[0] for row in stored(tenant)} == {bob.pk}


def test_a_deleted_schema_leaves_the_card_at_once_and_its_rows_go_with_the_purge(
    world: dict[str, Any],
) -> None:
    tenant, (ann, _), (review, visit) = world["tenant"], world["contacts"], world["schemas"]
    make_interaction(ann, review, created_date=START)
    make_interaction(ann, visit, created_date=START)

    interaction_schema_delete(tenant=tenant, schema_id="review")

    assert stored(tenant) == recount(tenant)
    assert not ContactActivity.objects.filter(schema_id=review.pk).exists()


def test_a_new_time_zone_recounts_the_local_days(world: dict[str, Any]) -> None:
    tenant, (ann, _), (review, _) = world["tenant"], world["contacts"], world["schemas"]
    # 23:30 UTC: the next day in Stockholm, the same day in New York.
    make_interaction(ann, review, created_date=datetime(2025, 6, 30, 23, 30, tzinfo=UTC))
    days = ContactActivity.objects.filter(contact=ann, period="day")
    assert list(days.values_list("starts_on", flat=True)) == [date(2025, 7, 1)]

    tenant.timezone = "America/New_York"
    tenant_update(tenant=tenant, changed=["timezone"])

    assert list(days.values_list("starts_on", flat=True)) == [date(2025, 6, 30)]
    assert stored(tenant) == recount(tenant)

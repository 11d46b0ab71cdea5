"""Migrations that move data, run forwards and backwards on the test database."""

import importlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = ("interactions", "0004_interaction_event_source")
AFTER = ("interactions", "0005_fill_interaction_event_source")


def migrate_to(target: tuple[str, str]) -> Any:
    """Migrate the interactions app to ``target``; returns the app registry of that state."""
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    executor.loader.build_graph()
    return executor.loader.project_state([target]).apps


@pytest.mark.django_db(transaction=True)
def test_event_sources_come_from_the_old_automation_flag() -> None:
    apps = migrate_to(BEFORE)
    try:
        tenant = apps.get_model("interactions", "Tenant").objects.create(slug="t", name="T")
        events = apps.get_model("interactions", "InteractionEvent").objects
        fields = {"tenant": tenant, "kind": "received", "schema_pk": 1}
        imported = events.create(
            fires_automations=False, interaction_id=_uuid(1), contact_id=_uuid(9), **fields
        )
        posted = events.create(
            fires_automations=True, interaction_id=_uuid(2), contact_id=_uuid(9), **fields
        )

        apps = migrate_to(AFTER)
        events = apps.get_model("interactions", "InteractionEvent").objects
        assert dict(events.values_list("pk", "source")) == {
            imported.pk: "import",
            posted.pk: "api",
        }

        apps = migrate_to(BEFORE)
        events = apps.get_model("interactions", "InteractionEvent").objects
        assert dict(events.values_list("pk", "fires_automations")) == {
            imported.pk: False,
            posted.pk: True,
        }
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


def _uuid(n: int) -> str:
    return f"00000000-0000-0000-0000-{n:012d}"


@pytest.mark.django_db
def test_the_segment_window_index_covers_the_contact_and_is_in_the_model_state() -> None:
    from interactions.models import Interaction

    name = "segments_interaction_window"
    assert name in {index.name for index in Interaction._meta.indexes}  # survives table rebuilds
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [name])
        else:
            cursor.execute("SELECT sql FROM sqlite_master WHERE name = %s", [name])
        (definition,) = cursor.fetchone()
    assert "(tenant_id, schema_id, created_date" in definition.replace('"', "")
    assert "contact_id" in definition


@pytest.mark.django_db
def test_moments_past_year_9999_stored_before_the_check_become_readable(alice: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("only PostgreSQL could store such a moment")
    from tests.factories import ContactFactory, make_interaction, make_schema

    interaction = make_interaction(ContactFactory(tenant=alice.tenant), make_schema(alice.tenant))
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE interactions_interaction SET created_date = %s WHERE id = %s",
            ["10000-01-01 13:59:59+00", interaction.pk],
        )
    assert alice.get(f"interactions/{interaction.pk}").status_code == 500

    clamp = importlib.import_module(
        "interactions.migrations.0009_clamp_created_dates_past_year_9999"
    ).clamp
    with connection.schema_editor() as schema_editor:
        clamp(None, schema_editor)

    answer = alice.get(f"interactions/{interaction.pk}")
    assert answer.status_code == 200
    assert answer.json()["createdDate"].startswith("9999-12-31T23:59:59.999")


@pytest.mark.django_db
def test_the_contact_activity_fill_counts_the_existing_interactions(alice: Any) -> None:
    from django.apps import apps

    from interactions.models import ContactActivity, Tenant
    from tests.factories import ContactFactory, make_interaction, make_schema
    from tests.interactions.test_contact_activity import recount, stored

    Tenant.objects.filter(pk=alice.tenant.pk).update(timezone="Europe/Stockholm")
    tenant = Tenant.objects.get(pk=alice.tenant.pk)
    review, visit = make_schema(tenant, "review"), make_schema(tenant, "visit")
    ann, bob = ContactFactory(tenant=tenant), ContactFactory(tenant=tenant)
    for hours in range(0, 24 * 40, 7):
        moment = datetime(2025, 3, 1, tzinfo=UTC) + timedelta(hours=hours)
        make_interaction(ann if hours % 2 else bob, review if hours % 3 else visit, None, moment)
    expected = recount(tenant)
    ContactActivity.objects.all().delete()

    fill = importlib.import_module("interactions.migrations.0015_fill_contact_activity").fill
    fill(apps, None)

    assert stored(tenant) == expected

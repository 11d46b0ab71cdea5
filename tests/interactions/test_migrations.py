"""Migrations that move data, run forwards and backwards on the test database."""

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

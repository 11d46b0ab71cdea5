"""A covering index on the core's interactions table for segment rules.

Rules count a schema's interactions per contact in a time window
(``WHERE tenant_id = … AND schema_id = … AND created_date >= … GROUP BY contact_id``); with
``(tenant, schema, created_date) INCLUDE (contact)`` PostgreSQL answers that from the index alone.
The table belongs to ``interactions``, which must not know about segments, so the index is made
here, outside Django's model state, and dropped with this migration.
"""

from typing import Any

from django.db import migrations

INDEX = "segments_interaction_window"
TABLE = "interactions_interaction"


def create_index(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON {TABLE} "
            "(tenant_id, schema_id, created_date) INCLUDE (contact_id)"
        )
    else:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON {TABLE} "
            "(tenant_id, schema_id, created_date, contact_id)"
        )


def drop_index(apps: Any, schema_editor: Any) -> None:
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("segments", "0001_segments_and_memberships"),
        ("interactions", "0003_interaction_events_and_tags"),
    ]

    operations = [migrations.RunPython(create_index, drop_index)]

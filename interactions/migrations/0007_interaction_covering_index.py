"""The covering index for segment rules (``segments_interaction_window``) joins the model state.

Until now ``segments/migrations/0002_interaction_covering_index`` made it with raw SQL that
Django's model state did not know, so a table rebuild on SQLite would have dropped it. Declared
in ``Interaction.Meta`` now, it is created here with ``IF NOT EXISTS`` and the same SQL as before:
on databases where the segments migration already made it, this is a no-op; on new databases
(where that migration now does nothing) it creates it.
"""

from typing import Any

from django.db import migrations

import interactions.models.indexes

INDEX = "segments_interaction_window"
TABLE = "interactions_interaction"


def create_index(apps: Any, schema_editor: Any) -> None:
    # What CoveringIndex makes on each vendor: INCLUDE where the database has it.
    if schema_editor.connection.features.supports_covering_indexes:
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
        ("interactions", "0006_remove_interaction_event_fires_automations"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(
                    model_name="interaction",
                    index=interactions.models.indexes.CoveringIndex(
                        covering=["contact"],
                        fields=["tenant", "schema", "created_date"],
                        name=INDEX,
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(create_index, drop_index)],
        ),
    ]

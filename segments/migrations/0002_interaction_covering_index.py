"""Does nothing now; kept under its name because databases have it recorded as applied.

It used to create ``segments_interaction_window``, a covering index on the core's interactions
table for segment rules, with raw SQL outside Django's model state (so a SQLite table rebuild
would have dropped it). The index is now declared in ``Interaction.Meta`` and created by
``interactions/migrations/0007_interaction_covering_index`` (``IF NOT EXISTS``: a no-op where
this migration already made it). Removing this file would leave applied databases with a record
of a migration that no longer exists, and renaming it would run it again.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("segments", "0001_segments_and_memberships"),
        ("interactions", "0003_interaction_events_and_tags"),
    ]

    operations: list[migrations.operations.base.Operation] = []

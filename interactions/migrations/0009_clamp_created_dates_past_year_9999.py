"""Clamp interactions stored with a createdDate past year 9999 in UTC.

Before createdDate was checked against years 0001-9999 after normalising to UTC, PostgreSQL
stored such moments (``9999-12-31T23:59:59-14:00``), and every later read of the row failed:
Python's datetime ends at 9999-12-31. They become the last representable moment; the value as
posted stays in the interaction's raw copy. SQLite never stored one (the POST itself failed).
"""

from typing import Any

from django.db import migrations

LAST_MOMENT = "9999-12-31 23:59:59.999999+00"


def clamp(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "UPDATE interactions_interaction SET created_date = %s WHERE created_date > %s",
        [LAST_MOMENT, LAST_MOMENT],
    )


class Migration(migrations.Migration):
    dependencies = [("interactions", "0008_event_deliveries")]

    operations = [migrations.RunPython(clamp, migrations.RunPython.noop, elidable=True)]

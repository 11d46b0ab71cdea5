"""The old flag goes: consumers now decide from ``source`` (automations fire for every source but
bulk imports)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("interactions", "0005_fill_interaction_event_source"),
    ]

    operations = [
        migrations.RemoveField(model_name="interactionevent", name="fires_automations"),
    ]

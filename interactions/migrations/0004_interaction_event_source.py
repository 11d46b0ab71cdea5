"""Outbox events say where their interaction came from (``source``) instead of carrying a
consumer's decision (``fires_automations``). This adds the column; 0005 fills it and 0006 drops
the old one."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("interactions", "0003_interaction_events_and_tags"),
    ]

    operations = [
        migrations.AddField(
            model_name="interactionevent",
            name="source",
            field=models.CharField(
                choices=[("api", "Api"), ("import", "Import"), ("replay", "Replay")],
                default="api",
                max_length=8,
            ),
        ),
    ]

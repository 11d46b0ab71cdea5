"""Existing events get their source from the old flag: an event that fired no automations came
from a bulk import; every other one is taken as posted to the API (a replay could not be told
apart from one, and fires automations just the same). One UPDATE: the outbox holds only events
not yet dispatched or dispatched within the last day."""

from typing import Any

from django.db import migrations


def forward(apps: Any, schema_editor: Any) -> None:
    InteractionEvent = apps.get_model("interactions", "InteractionEvent")
    InteractionEvent.objects.filter(fires_automations=False).update(source="import")


def reverse(apps: Any, schema_editor: Any) -> None:
    InteractionEvent = apps.get_model("interactions", "InteractionEvent")
    InteractionEvent.objects.filter(source="import").update(fires_automations=False)
    InteractionEvent.objects.exclude(source="import").update(fires_automations=True)


class Migration(migrations.Migration):
    dependencies = [
        ("interactions", "0004_interaction_event_source"),
    ]

    operations = [migrations.RunPython(forward, reverse)]

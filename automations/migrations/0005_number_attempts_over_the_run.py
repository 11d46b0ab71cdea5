"""Attempts logged before tries were numbered over the run's whole life get their right numbers.

A retry by hand started the count again, so a retried run logged "try 1" twice for one action.
Each action's attempts are renumbered 1, 2, … in the order they started; only runs with an action
tried more than once can be wrong, so only their attempts are read. Reversing keeps the numbers.
"""

from django.db import migrations
from django.db.models import Count

BATCH = 500


def renumber(apps, schema_editor):  # type: ignore[no-untyped-def]
    RunAttempt = apps.get_model("automations", "RunAttempt")
    run_ids = sorted(
        {
            row["run_id"]
            for row in RunAttempt.objects.values("run_id", "action_index")
            .annotate(tries=Count("id"))
            .filter(tries__gt=1)
        }
    )
    for start in range(0, len(run_ids), BATCH):
        changed = []
        seen: dict[tuple[object, int], int] = {}
        attempts = RunAttempt.objects.filter(run_id__in=run_ids[start : start + BATCH]).order_by(
            "run_id", "action_index", "started_at", "id"
        )
        for attempt in attempts:
            key = (attempt.run_id, attempt.action_index)
            seen[key] = seen.get(key, 0) + 1
            if attempt.number != seen[key]:
                attempt.number = seen[key]
                changed.append(attempt)
        RunAttempt.objects.bulk_update(changed, ["number"], batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [("automations", "0004_standard_webhook_secrets")]

    operations = [migrations.RunPython(renumber, migrations.RunPython.noop)]

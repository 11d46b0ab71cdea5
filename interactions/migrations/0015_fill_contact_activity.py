"""Count the existing interactions into contact activity rows (what
``interactions.services.contact_activity.contact_activity_rebuild`` does, restated here because a
migration must not import app code): per contact and schema in all, per local month and per
local day in the tenant's time zone, a thousand contacts a batch, a line of progress per tenant."""

import sys
import zoneinfo
from datetime import UTC, date, datetime

from django.db import migrations
from django.db.models import Count, DateField, Max, Min
from django.db.models.functions import Trunc

ALL_TIME = date(1, 1, 1)
CHARTABLE = (datetime(1, 1, 2, tzinfo=UTC), datetime(9999, 12, 30, tzinfo=UTC))
CONTACTS_PER_BATCH = 1000


def fill(apps, schema_editor):
    Tenant = apps.get_model("interactions", "Tenant")
    Interaction = apps.get_model("interactions", "Interaction")
    ContactActivity = apps.get_model("interactions", "ContactActivity")
    for tenant in Tenant.objects.order_by("pk"):
        tz = zoneinfo.ZoneInfo(tenant.timezone)
        contact_ids = list(
            Interaction.objects.filter(tenant=tenant)
            .values_list("contact_id", flat=True)
            .distinct()
            .order_by("contact_id")
        )
        written = 0
        for start in range(0, len(contact_ids), CONTACTS_PER_BATCH):
            interactions = Interaction.objects.filter(
                tenant=tenant, contact_id__in=contact_ids[start : start + CONTACTS_PER_BATCH]
            ).order_by()
            rows = [
                ContactActivity(
                    tenant=tenant,
                    contact_id=row["contact_id"],
                    schema_id=row["schema_id"],
                    period="all",
                    starts_on=ALL_TIME,
                    count=row["n"],
                    first_at=row["first"],
                    last_at=row["last"],
                )
                for row in interactions.values("contact_id", "schema_id").annotate(
                    n=Count("id"), first=Min("created_date"), last=Max("created_date")
                )
            ]
            for period in ("month", "day"):
                rows.extend(
                    ContactActivity(
                        tenant=tenant,
                        contact_id=row["contact_id"],
                        schema_id=row["schema_id"],
                        period=period,
                        starts_on=row["start"],
                        count=row["n"],
                    )
                    for row in interactions.filter(created_date__range=CHARTABLE)
                    .annotate(
                        start=Trunc("created_date", period, output_field=DateField(), tzinfo=tz)
                    )
                    .values("contact_id", "schema_id", "start")
                    .annotate(n=Count("id"))
                )
            ContactActivity.objects.bulk_create(rows, batch_size=500)
            written += len(rows)
        if contact_ids:
            sys.stdout.write(
                f"\n  contact activity of tenant {tenant.slug}: {len(contact_ids)} contacts, "
                f"{written} rows"
            )


def empty(apps, schema_editor):
    apps.get_model("interactions", "ContactActivity").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("interactions", "0014_contact_activity")]

    operations = [migrations.RunPython(fill, empty)]

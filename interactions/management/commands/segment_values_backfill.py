"""``manage.py segment_values_backfill [--tenant SLUG]``: store the segmentable values of the
interactions already kept (those stored before the values were, or before a schema's
``addToSegmentation`` changed), schema by schema, with a progress line per batch.

Safe to interrupt and to run again: each batch rewrites its interactions' values in one
transaction. See docs/segment-values.md.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from interactions.models import Interaction, InteractionSchema, Tenant
from interactions.services.segment_values import segment_values_rebuild


class Command(BaseCommand):
    help = "Store the segmentable values of the interactions already kept."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", help="only this tenant (its slug)")

    def handle(self, *args: Any, **options: Any) -> None:
        schemas = InteractionSchema.objects.active().order_by("tenant_id", "pk")
        if options["tenant"]:
            tenant = Tenant.objects.filter(slug=options["tenant"]).first()
            if tenant is None:
                raise CommandError(f"no tenant has the slug {options['tenant']!r}")
            schemas = schemas.filter(tenant=tenant)
        total = 0
        for schema in schemas:
            count = Interaction.objects.filter(tenant_id=schema.tenant_id, schema=schema).count()
            label = f"tenant {schema.tenant_id} schema {schema.schema_id}"
            done = 0
            for done in segment_values_rebuild(schema=schema):
                self.stderr.write(f"{label}: {done:,} of {count:,} interactions")
            total += done
            self.stdout.write(f"{label}: {done:,} interactions done")
        self.stdout.write(f"Segmentable values stored for {total:,} interactions.")

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from interactions.models import Tenant
from interactions.services.tenants import api_key_create


class Command(BaseCommand):
    help = "Create another API key for a tenant; the key is printed on the last line."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="The tenant's slug.")
        parser.add_argument("--name", default="", help="A label for the key.")
        parser.add_argument(
            "--rate-limit",
            type=int,
            default=None,
            help="Requests per second for this key (0: unlimited; default: the global limit).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = Tenant.objects.filter(slug=options["slug"]).first()
        if tenant is None:
            raise CommandError(f"No tenant has the slug {options['slug']!r}.")
        _, key = api_key_create(
            tenant=tenant, name=options["name"], rate_limit_per_second=options["rate_limit"]
        )
        self.stdout.write(f"New API key for {tenant.slug} (shown only now):")
        self.stdout.write(key)

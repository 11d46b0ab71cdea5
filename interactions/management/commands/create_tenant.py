from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from interactions.services.tenants import api_key_create, tenant_create


class Command(BaseCommand):
    help = "Create a tenant and an API key for it; the key is printed on the last line."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="Short unique name: letters, digits, '-' and '_'.")
        parser.add_argument("--name", default="", help="Display name (default: the slug).")
        parser.add_argument(
            "--timezone", default="UTC", help="Display time zone, e.g. Europe/Stockholm."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            tenant = tenant_create(
                slug=options["slug"], name=options["name"], timezone_name=options["timezone"]
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        _, key = api_key_create(tenant=tenant, name="initial")
        self.stdout.write(f"Created tenant {tenant.slug}. Its API key (shown only now):")
        self.stdout.write(key)

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from interactions.models import ApiKey, Tenant
from interactions.services.roles import ADMIN, MARKETER
from interactions.services.sample_data import sample_data_create
from interactions.services.staff import staff_password_set, staff_user_create
from interactions.services.tenants import api_key_create, api_key_revoke, tenant_create

DEMO_SLUG = "demo"
DEMO_KEY_NAME = "demo"


class Command(BaseCommand):
    help = (
        "Create (or refresh) the demo tenant with sample data, a new demo API key and an admin "
        "login, and print them with ready-to-paste curl examples. Safe to run again: it rotates "
        "the demo key and the admin password."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        tenant = Tenant.objects.filter(slug=DEMO_SLUG).first() or tenant_create(
            slug=DEMO_SLUG, name="Demo Retailer", timezone_name="Europe/Stockholm"
        )
        self.stdout.write("Preparing sample data …")
        contacts = sample_data_create(tenant=tenant)
        for old in ApiKey.objects.filter(
            tenant=tenant, name=DEMO_KEY_NAME, revoked_at__isnull=True
        ):
            api_key_revoke(api_key=old)
        _, key = api_key_create(tenant=tenant, name=DEMO_KEY_NAME)
        password = secrets.token_urlsafe(12)
        user_model = get_user_model()
        admin = user_model.objects.filter(username="admin").first()
        if admin is None:
            user_model.objects.create_superuser("admin", "admin@example.com", password)
        else:
            staff_password_set(user=admin, password=password)
        for username, role in (("demo-admin", ADMIN), ("demo-marketer", MARKETER)):
            user = user_model.objects.filter(username=username).first()
            if user is None:
                staff_user_create(tenant=tenant, username=username, password=password, role=role)
            else:
                staff_password_set(user=user, password=password)
        self._print(options["base_url"].rstrip("/"), key, password, str(contacts[0].pk))

    def _print(self, base: str, key: str, password: str, contact_id: str) -> None:
        api = f"{base}/api/v2"
        body = (
            f'{{"contactId":"{contact_id}","schemaId":"Reuse-Spring-2023",'
            '"createdDate":"2023-05-23T11:13:42.074Z",'
            '"payload":{"price":100,"created":"2011-11-03T20:00:11","name":"Reused Item"}}'
        )
        lines = [
            "",
            "Demo tenant 'demo' is ready.",
            f"  API key (new on every run): {key}",
            f"  Logins ({base}/login/, password for all three: {password}):",
            "    admin          superuser, every tenant (switch tenants at the top right)",
            "    demo-admin     the demo tenant's admin: schemas (builder in /admin/), API keys",
            "    demo-marketer  the demo tenant's marketer: contacts and contact cards",
            f"  API docs:                   {base}/api/docs/",
            f"  A contact card:             {base}/contacts/{contact_id}/",
            "",
            "Try it:",
            f'  curl -s {api}/interactionschemas -H "apikey: {key}"',
            f'  curl -s -X POST {api}/interactions -H "apikey: {key}" '
            f"-H 'Content-Type: application/json' -d '{body}'",
            f'  curl -s "{api}/interactions?contactId={contact_id}&schemaId=Reuse-Spring-2023" '
            f'-H "apikey: {key}"',
            "",
        ]
        self.stdout.write("\n".join(lines))

import secrets
from pathlib import Path
from typing import Any, TextIO, cast
from urllib.parse import urljoin

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from engage_site.addresses import DEFAULT_BIND, bind_url
from engage_site.progress import Progress
from interactions.extensions import demo_builders
from interactions.models import ApiKey, Tenant
from interactions.services.roles import ADMIN, MARKETER
from interactions.services.sample_data import SAMPLE_SCHEMAS, SampleData, sample_data_create
from interactions.services.staff import staff_password_set, staff_user_create
from interactions.services.tenants import api_key_create, api_key_revoke, tenant_create

DEMO_SLUG = "demo"
DEMO_KEY_NAME = "demo"
SUPERUSER = "admin"
STAFF = (("demo-admin", ADMIN), ("demo-marketer", MARKETER))
# Contacts per named size; each has a year of interactions (about a hundred on average).
SIZES = {"small": 20, "default": 300, "large": 3000}
PASSWORD_FILE = "demo-password.txt"  # noqa: S105 - a file name, not a password


def _size(value: str) -> int:
    if value in SIZES:
        return SIZES[value]
    if value.isdigit() and 0 < int(value) <= 100_000:
        return int(value)
    raise CommandError(
        f"--size must be one of {', '.join(SIZES)} or a number of contacts from 1 to 100000, "
        f"not {value!r}."
    )


class Command(BaseCommand):
    help = (
        "Create (or complete) the demo tenant: sample schemas, a product catalog, contacts with a "
        "year of interactions, segments and an automation, a new demo API key and staff logins; "
        "print them with ready-to-paste curl examples. Safe to run again: it adds only what is "
        "missing, puts the catalog back as it was, rotates the demo key and keeps the password "
        "unless --reset-password is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--bind",
            default=DEFAULT_BIND,
            help="The address the server binds (as for serve), for the printed URLs.",
        )
        parser.add_argument("--base-url", help="The URL to print instead of the --bind one.")
        parser.add_argument(
            "--size",
            default="default",
            help=(
                f"How many contacts: {', '.join(f'{name} ({n})' for name, n in SIZES.items())} "
                "or a number. A rerun with a larger size adds the contacts beyond the earlier ones."
            ),
        )
        parser.add_argument(
            "--reset-password",
            action="store_true",
            help="Give the demo logins a new password (it is kept otherwise).",
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress on stderr.")

    def handle(self, *args: Any, **options: Any) -> None:
        contacts = _size(options["size"])
        base = (options["base_url"] or bind_url(options["bind"])).rstrip("/")
        tenant = Tenant.objects.filter(slug=DEMO_SLUG).first() or tenant_create(
            slug=DEMO_SLUG, name="Demo Retailer", timezone_name="Europe/Stockholm"
        )
        self.stdout.write(f"Preparing the demo tenant ({contacts:,} contacts) …")
        self.stdout.flush()
        meter = Progress(
            cast(TextIO, self.stderr._out), contacts, not options["no_progress"], "interactions"
        )

        def progress(done: int, total: int, interactions: int) -> None:
            if not total:
                return
            meter.total = max(total, 1)
            meter.show(
                items=interactions - meter.items,
                position=done,
                detail=f"contacts {done:,}/{total:,}",
                force=done == total,
            )

        data = sample_data_create(
            tenant=tenant,
            contacts=contacts,
            static_url=urljoin(f"{base}/", str(settings.STATIC_URL)),
            progress=progress,
        )
        if data.contacts_added:
            meter.end()
        extras = [str(builder(tenant=tenant)) for builder in demo_builders()]
        key, password = self._credentials(tenant, reset=options["reset_password"])
        self._print(base, data, extras, key, password)

    @transaction.atomic
    def _credentials(self, tenant: Tenant, *, reset: bool) -> tuple[str, str | None]:
        """A new demo key (the old one revoked), and the logins' password when it is new: on the
        first run, when asked, or when a login is missing (None: unchanged)."""
        for old in ApiKey.objects.filter(
            tenant=tenant, name=DEMO_KEY_NAME, revoked_at__isnull=True
        ):
            api_key_revoke(api_key=old)
        _, key = api_key_create(tenant=tenant, name=DEMO_KEY_NAME)
        users = get_user_model().objects
        usernames = [SUPERUSER, *(username for username, _ in STAFF)]
        if not reset and users.filter(username__in=usernames).count() == len(usernames):
            return key, None
        password = secrets.token_urlsafe(12)
        admin = users.filter(username=SUPERUSER).first()
        if admin is None:
            users.create_superuser(SUPERUSER, "admin@example.com", password)
        else:
            staff_password_set(user=admin, password=password)
        for username, role in STAFF:
            user = users.filter(username=username).first()
            if user is None:
                staff_user_create(tenant=tenant, username=username, password=password, role=role)
            else:
                staff_password_set(user=user, password=password)
        _password_file().write_text(password + "\n", encoding="utf-8")
        _password_file().chmod(0o600)
        return key, password

    def _print(
        self, base: str, data: SampleData, extras: list[str], key: str, password: str | None
    ) -> None:
        api = f"{base}/api/v2"
        contact_id = str(data.showcase.pk) if data.showcase else "<a contact id>"
        body = (
            f'{{"contactId":"{contact_id}","schemaId":"Reuse-Spring-2023",'
            '"createdDate":"2023-05-23T11:13:42.074Z",'
            '"payload":{"price":100,"created":"2011-11-03T20:00:11","name":"Reused Item"}}'
        )
        added = (
            f" ({data.contacts_added:,} contacts and {data.interactions_added:,} interactions new)"
            if data.contacts_added
            else " (nothing new: it had them all)"
        )
        holds = ", ".join(
            [
                f"{data.contacts:,} contacts",
                f"{data.interactions:,} interactions of {len(SAMPLE_SCHEMAS)} kinds",
                f"{data.products:,} products",
                *extras,
            ]
        )
        if password is not None:
            password_line = f"  Password for all three: {password}   (kept in {_password_file()})"
        else:
            shown = _password_file()
            where = f" (see {shown})" if shown.exists() else ""
            password_line = (
                f"  Password for all three: unchanged{where}; "
                "./bin/start --reset-password sets a new one"
            )
        lines = [
            "",
            f"Demo tenant 'demo' is ready: {holds}{added}.",
            f"  API key (new on every run): {key}",
            f"  Logins at {base}/login/:",
            "    admin          superuser, every tenant (switch tenants at the top right)",
            "    demo-admin     the demo tenant's admin: schemas (builder in /admin/), API keys",
            "    demo-marketer  the demo tenant's marketer: contacts, segments, automations",
            password_line,
            f"  Contacts:                   {base}/contacts/",
            f"  A contact card:             {base}/contacts/{contact_id}/",
            f"  Segments:                   {base}/segments/",
            f"  API docs:                   {base}/api/docs/",
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


def _password_file() -> Path:
    """Where the logins' password is kept, relative to the current directory when under it."""
    path = Path(settings.DATA_DIR) / PASSWORD_FILE
    return path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path

"""Contact card benchmark: server time of the card for a contact with 10,000 interactions over 10
schemas, on PostgreSQL.

Fills a dedicated database (BENCH_DATABASE_URL, created if missing, migrated and emptied), then
drives the card in-process with Django's test Client, logged in as a marketer: each figure is the
time of one request through the middleware, the view, its queries and the templates, with no
network or HTTP server in front. Prints p50, p95 and max per variant, next to baselines fetched by
the same client. Measures; asserts nothing (the bar is p95 under 50 ms).
"""

import argparse
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/engage_bench_card"
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
SPAN = timedelta(days=3 * 365)


def ensure_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def schema_document(index: int) -> dict[str, Any]:
    """A schema of eight properties: every type and format the card formats, half of them shown."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {
            "productSku": {"type": "string", "displayName": "Product", "showInContactCard": True},
            "store": {
                "type": "string",
                "displayName": "Store",
                "showInContactCard": True,
                "sortOrder": 1,
            },
            "amount": {
                "type": "number",
                "displayName": "Amount",
                "showInContactCard": True,
                "sortOrder": 2,
            },
            "happenedAt": {
                "type": "string",
                "format": "date-time",
                "displayName": "Happened at",
                "showInContactCard": True,
                "sortOrder": 3,
            },
            "firstTime": {"type": "boolean", "displayName": "First time", "sortOrder": 4},
            "deliveredOn": {"type": "string", "format": "date", "displayName": "Delivered on"},
            "rating": {"type": "integer", "displayName": "Rating", "minimum": 1, "maximum": 5},
            "note": {"type": "string", "displayName": f"Note ({index})", "maxLength": 200},
        },
        "required": ["store"],
    }


def payload(rng: random.Random, index: int, created: datetime) -> dict[str, Any]:
    return {
        "productSku": f"SKU-{rng.randint(1000, 9999)}",
        "store": f"Store {rng.randint(1, 40)}",
        "amount": round(rng.uniform(5, 500), 2),
        "happenedAt": created.isoformat(),
        "firstTime": index % 17 == 0,
        "deliveredOn": (created.date() + timedelta(days=3)).isoformat(),
        "rating": rng.randint(1, 5),
        "note": "A few words about what happened, as a client might send them.",
    }


def fill(*, interactions: int, schemas: int) -> tuple[Any, Any, Any]:
    """The tenant, its marketer and the contact with the interactions."""
    from django.db import connection

    from interactions.models import Interaction
    from interactions.services.contact_activity import contact_activity_rebuild
    from interactions.services.contacts import contact_create
    from interactions.services.roles import MARKETER
    from interactions.services.schemas import interaction_schema_create
    from interactions.services.staff import staff_user_create
    from interactions.services.tenants import tenant_create

    tenant = tenant_create(slug="bench", name="Bench", timezone_name="Europe/Stockholm")
    tenant.max_schemas = max(schemas, tenant.max_schemas)
    tenant.save(update_fields=["max_schemas"])
    user = staff_user_create(
        tenant=tenant,
        username="bench-marketer",
        password=secrets.token_urlsafe(24),  # never used: the client is logged in directly
        role=MARKETER,
    )
    contact = contact_create(
        tenant=tenant, first_name="Bench", last_name="Contact", email="bench@example.com"
    )
    made = [
        interaction_schema_create(
            tenant=tenant,
            schema_id=f"schema-{index}",
            display_name=f"Interaction kind {index}",
            json_schema=schema_document(index),
        )
        for index in range(schemas)
    ]
    rng = random.Random(20250601)
    rows = []
    for index in range(interactions):
        created = NOW - SPAN * rng.random()
        rows.append(
            Interaction(
                tenant=tenant,
                contact=contact,
                schema=made[index % schemas],
                created_date=created,
                received_at=created,
                payload=payload(rng, index, created),
            )
        )
    Interaction.objects.bulk_create(rows, batch_size=2000)
    # Loaded without the write path: count them into the card's activity rows as the fill
    # migration does for existing data.
    contact_activity_rebuild(tenant=tenant, contact_ids=[contact.pk])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return tenant, user, contact


def measure(client: Any, url: str, *, requests: int, warmup: int) -> dict[str, float]:
    for _ in range(warmup):
        response = client.get(url)
        assert response.status_code in (200, 302), (url, response.status_code)
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code in (200, 302), (url, response.status_code)
    return {
        "p50": statistics.median(timings),
        "p95": statistics.quantiles(timings, n=100, method="inclusive")[94],
        "max": max(timings),
    }


def queries_of(client: Any, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return len(queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per variant")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests per variant")
    parser.add_argument("--interactions", type=int, default=10_000)
    parser.add_argument("--schemas", type=int, default=10)
    args = parser.parse_args()

    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    ensure_database(database_url)
    os.environ["DATABASE_URL"] = database_url
    os.environ["DATA_DIR"] = tempfile.mkdtemp(prefix="engage-bench-card-")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.pop("REDIS_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "engage_site.settings"
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from interactions.selectors import contact_card_data

    print(f"Setting up {database_url} …", flush=True)
    call_command("migrate", interactive=False, verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    started = time.perf_counter()
    tenant, user, contact = fill(interactions=args.interactions, schemas=args.schemas)
    print(
        f"Filled {args.interactions:,} interactions over {args.schemas} schemas for one contact "
        f"in {time.perf_counter() - started:.1f} s.",
        flush=True,
    )

    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    card = f"/contacts/{contact.pk}/"
    deep = contact_card_data(tenant=tenant, contact_id=contact.pk, page_size=5000)
    since = (NOW - timedelta(days=90)).date().isoformat()
    variants = [
        ("baseline: /login/ (signed-in redirect)", "/login/"),
        ("baseline: /contacts/ (1 contact)", "/contacts/"),
        ("card: overview tab", f"{card}?tab=overview"),
        ("card: interactions, first page", f"{card}?tab=interactions"),
        (
            "card: one schema, last 90 days",
            f"{card}?tab=interactions&schema=schema-3&since={since}",
        ),
        (
            "card: page after 5,000 rows",
            f"{card}?tab=interactions&continuation={deep.next_continuation}",
        ),
    ]
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server_version = cursor.fetchone()[0]
    print(
        f"PostgreSQL {server_version}; {args.requests} timed requests per variant after "
        f"{args.warmup} untimed; Django test Client in-process.\n",
        flush=True,
    )
    print(f"{'variant':<42}{'queries':>8}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    for name, url in variants:
        figures = measure(client, url, requests=args.requests, warmup=args.warmup)
        print(
            f"{name:<42}{queries_of(client, url):>8}{figures['p50']:>10.2f}"
            f"{figures['p95']:>10.2f}{figures['max']:>10.2f}",
            flush=True,
        )
    print("\nBar: the card's p95 under 50 ms.")


if __name__ == "__main__":
    main()

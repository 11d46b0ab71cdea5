"""Profile of one POST /api/v2/interactions, in-process: where a request's CPU time goes.

Runs the request through Django's WSGI handler (middleware, DRF, the service, the database) after
a warm-up, timed, then again with cProfile (CPU time of this process by default, ``--wall`` for
wall time with the waits), and prints the share of the total in the parts the ingest path is made
of, the queries a request makes, and the top functions by own time. Uses ``DATABASE_URL`` (its
tables are flushed) and ``REDIS_URL`` when set, as the server would.

    DATABASE_URL=postgres://… REDIS_URL=redis://…/N python benchmarks/ingest/profile_post.py -n 2000
"""

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "engage_site.settings")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
os.environ.setdefault("LOG_LEVEL", "WARNING")

# (label, a substring of "file:function" of the frames whose cumulative time it counts). A frame
# counts once per label, under its outermost match.
PARTS = [
    ("API key lookup (authentication)", "authentication.py:authenticate"),
    ("rate limit (throttle)", "throttling.py:allow_request"),
    ("last_used_at (caller_admitted)", "base.py:caller_admitted"),
    ("body parse (loads_strict)", "parsers.py:loads_strict"),
    ("schema + contact lookup", "services/interactions.py:_look_up"),
    ("payload validation (split)", "schema_validation"),
    ("interaction_check (all)", "services/interactions.py:interaction_check"),
    ("writes (interaction_create)", "services/interactions.py:interaction_create"),
    ("commit + on_commit (dispatch hint)", "services/events.py:interaction_events_dispatch_soon"),
    ("idempotent_write (transaction)", "services/idempotency.py:idempotent_write"),
    ("response rendering", "response.py:rendered_content"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", "--requests", type=int, default=2000)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument(
        "--wall",
        action="store_true",
        help="profile wall time (with the waits on the database and Redis) instead of CPU time",
    )
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from interactions.models import Tenant
    from interactions.services.contacts import contact_create
    from interactions.services.sample_data import REVIEW_SCHEMA
    from interactions.services.schemas import interaction_schema_create
    from interactions.services.tenants import api_key_create, tenant_create

    call_command("flush", "--noinput", verbosity=0)
    call_command("migrate", "--noinput", verbosity=0)
    tenant = tenant_create(slug="bench")
    _, key = api_key_create(tenant=tenant, name="bench", rate_limit_per_second=0)
    interaction_schema_create(
        tenant=tenant,
        schema_id="review",
        display_name="Review",
        json_schema=REVIEW_SCHEMA["jsonSchema"],
    )
    contact = contact_create(tenant=Tenant.objects.get(pk=tenant.pk), email="bench@example.com")
    client = Client(HTTP_APIKEY=key)

    def post(i: int) -> None:
        body = (
            f'{{"contactId":"{contact.pk}","schemaId":"review",'
            f'"createdDate":"2026-01-{i % 28 + 1:02d}T10:00:00Z",'
            f'"payload":{{"productSku":"SKU-{i}","rating":{i % 5 + 1},'
            f'"title":"Fits well","text":"Warm and light."}}}}'
        )
        response = client.post("/api/v2/interactions", body, content_type="application/json")
        if response.status_code != 200:
            raise SystemExit(f"{response.status_code}: {response.content!r}")

    for i in range(200):
        post(i)
    queries: list[str] = []

    def record(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        post(0)

    started, cpu_started = time.perf_counter(), time.process_time()
    for i in range(args.requests):
        post(i)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    print(
        f"{args.requests} POSTs unprofiled: {elapsed / args.requests * 1000:.2f} ms each, "
        f"{cpu / args.requests * 1000:.2f} ms of CPU in this process ({connection.vendor})"
    )

    profile = cProfile.Profile(time.perf_counter if args.wall else time.process_time)
    profile.enable()
    for i in range(args.requests):
        post(i)
    profile.disable()

    stats = pstats.Stats(profile)
    total = sum(timing[2] for timing in stats.stats.values())  # type: ignore[attr-defined]
    print(
        f"profile of {'wall' if args.wall else 'CPU'} time: "
        f"{total / args.requests * 1000:.2f} ms a POST"
    )
    print(f"\nqueries per POST: {len(queries)}")
    for sql in queries:
        print(f"  {sql[:150]}")
    print(f"\n{'part':<40}{'share':>8}{'ms/POST':>10}")
    for label, needle in PARTS:
        cumulative = 0.0
        for (filename, _, function), timing in stats.stats.items():  # type: ignore[attr-defined]
            if needle in f"{filename}:{function}":
                # Recursion counts once: cProfile's cumulative time already covers nested calls.
                cumulative = max(cumulative, timing[3])
        print(f"{label:<40}{cumulative / total:>8.0%}{cumulative / args.requests * 1000:>10.3f}")
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(args.top)
    print(out.getvalue())


if __name__ == "__main__":
    main()

"""The bulk phases of the ingest benchmark: a raw COPY baseline, the batch route and the import.

The baseline is what PostgreSQL itself takes: the rows the app writes for an interaction (the
interaction, its pending raw copy, its "received" event), prepared in memory beforehand and loaded
with one COPY per table and a commit. The batch route (``POST /api/v2/interactions/batch`` with
``{"interactions": [...]}``, answering ``{"accepted", "refused", "results"}``) and the import
(``manage.py import_interactions FILE --tenant SLUG``, NDJSON with one single-POST body a line) are
measured end to end and compared with it. Both are skipped, with a line saying so, where the route
answers 404 (or 405) or the command is unknown.
"""

import http.client
import io
import json
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from interactions.ids import uuid7

BATCH_PATH = "/api/v2/interactions/batch"
# Bars of the issue "Ingest at scale": interactions/s end to end, and the share of a raw COPY.
BAR_RATE = 20_000
AIM_RATE = 30_000
BAR_COPY_SHARE = 0.20


@dataclass
class BulkFigures:
    name: str
    interactions: int = 0
    seconds: float = 0.0
    refused: int = 0
    requests: int = 0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    skipped: str = ""

    @property
    def rate(self) -> float:
        return self.interactions / self.seconds if self.seconds else 0.0


def single_post_body(contact: str, counter: int) -> dict[str, object]:
    """The body ingest.lua sends: 3 of 4 valid, 1 of 4 with properties that are dropped."""
    rating = counter % 5 + 1
    if counter % 4 == 0:
        payload: dict[str, object] = {
            "productSku": f"SKU-{counter}",
            "rating": rating,
            "title": 42,
            "colour": "blue",
        }
    else:
        payload = {
            "productSku": f"SKU-{counter}",
            "rating": rating,
            "title": "Fits well",
            "text": "Warm and light.",
        }
    return {
        "contactId": contact,
        "schemaId": "review",
        "createdDate": f"2026-01-{counter % 28 + 1:02d}T10:{counter % 60:02d}:"
        f"{counter * 7 % 60:02d}Z",
        "payload": payload,
    }


def _copy_text(rows: list[tuple[object, ...]]) -> bytes:
    """Rows in COPY's text format (the values here hold no tab, newline or backslash)."""
    out = io.StringIO()
    for row in rows:
        out.write("\t".join("\\N" if value is None else str(value) for value in row))
        out.write("\n")
    return out.getvalue().encode()


def copy_baseline(database_url: str, *, contact: str, rows: int) -> BulkFigures:
    """Load ``rows`` interactions as the app stores them with COPY, then delete them again."""
    import psycopg

    with psycopg.connect(database_url) as conn:
        tenant_id, schema_pk = conn.execute(
            "SELECT s.tenant_id, s.id FROM interactions_interactionschema s "
            "JOIN interactions_tenant t ON t.id = s.tenant_id "
            "WHERE t.slug = 'bench' AND s.schema_id = 'review'"
        ).fetchone()  # type: ignore[misc]
        conn.commit()
        now = datetime.now(UTC)
        interactions, raw_copies, events = [], [], []
        for counter in range(rows):
            body = single_post_body(contact, counter)
            interaction_id = uuid7()  # time-ordered, as the app makes them
            payload = dict(body["payload"])  # type: ignore[call-overload]
            dropped = []
            if counter % 4 == 0:
                del payload["title"], payload["colour"]
                dropped = [
                    {"field": "payload.title", "code": "type", "message": "must be a string"},
                    {"field": "payload.colour", "code": "unknown", "message": "is not defined"},
                ]
            received = now + timedelta(microseconds=counter)
            interactions.append(
                (
                    interaction_id,
                    tenant_id,
                    contact,
                    schema_pk,
                    body["createdDate"],
                    received.isoformat(),
                    json.dumps(payload),
                    json.dumps(dropped),
                )
            )
            raw = json.dumps(body, separators=(",", ":")).encode()
            raw_copies.append(
                (
                    f"tenants/{tenant_id}/interactions/{interaction_id}.json",
                    "\\\\x" + raw.hex(),
                    received.isoformat(),
                )
            )
            events.append(
                (
                    tenant_id,
                    "received",
                    interaction_id,
                    contact,
                    schema_pk,
                    "import",
                    received.isoformat(),
                    None,
                )
            )
        tables = [
            (
                "interactions_interaction (id, tenant_id, contact_id, schema_id, created_date, "
                "received_at, payload, dropped_properties)",
                _copy_text(interactions),
            ),
            ("interactions_pendingrawcopy (path, body, created_at)", _copy_text(raw_copies)),
            (
                "interactions_interactionevent (tenant_id, kind, interaction_id, contact_id, "
                "schema_pk, source, created_at, dispatched_at)",
                _copy_text(events),
            ),
        ]
        started = time.perf_counter()
        with conn.cursor() as cursor:
            for table, data in tables:
                with cursor.copy(f"COPY {table} FROM STDIN") as copy:
                    copy.write(data)
        conn.commit()
        elapsed = time.perf_counter() - started
        ids = [row[0] for row in interactions]
        conn.execute(
            "DELETE FROM interactions_interactionevent WHERE interaction_id = ANY(%s)", [ids]
        )
        conn.execute(
            "DELETE FROM interactions_pendingrawcopy WHERE path LIKE %s",
            [f"tenants/{tenant_id}/interactions/%"],
        )
        conn.execute("DELETE FROM interactions_interaction WHERE id = ANY(%s)", [ids])
        conn.commit()
    return BulkFigures("raw COPY (3 tables)", interactions=rows, seconds=elapsed)


def count_interactions(database_url: str) -> int:
    import psycopg

    with psycopg.connect(database_url) as conn:
        return int(conn.execute("SELECT count(*) FROM interactions_interaction").fetchone()[0])  # type: ignore[index]


def _post(connection: http.client.HTTPConnection, key: str, body: bytes) -> tuple[int, bytes]:
    connection.request(
        "POST",
        BATCH_PATH,
        body=body,
        headers={"apikey": key, "Content-Type": "application/json"},
    )
    response = connection.getresponse()
    return response.status, response.read()


def batch_phase(
    *,
    port: int,
    key: str,
    contact: str,
    seconds: int,
    connections: int,
    size: int,
) -> BulkFigures:
    """Post batches of ``size`` from ``connections`` clients for ``seconds``."""
    figures = BulkFigures(f"POST {BATCH_PATH} ({size} a request, c{connections})")
    probe = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    status, answer = _post(
        probe, key, json.dumps({"interactions": [single_post_body(contact, 1)]}).encode()
    )
    probe.close()
    if status in (404, 405):
        figures.skipped = f"batch route not available ({BATCH_PATH} answered {status})"
        return figures
    if status != 200:
        figures.skipped = f"batch route answered {status}: {answer[:300]!r}"
        return figures
    # A few different bodies, built before measuring so the client's time stays out of it.
    bodies = [
        json.dumps(
            {"interactions": [single_post_body(contact, n * size + i) for i in range(size)]},
            separators=(",", ":"),
        ).encode()
        for n in range(8)
    ]
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []
    deadline = time.perf_counter() + seconds

    def client(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        n = index
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            status, answer = _post(connection, key, bodies[n % len(bodies)])
            took = time.perf_counter() - started
            n += 1
            with lock:
                latencies.append(took)
                if status != 200:
                    errors.append(f"{status}: {answer[:200]!r}")
                    continue
                document = json.loads(answer)
                figures.interactions += int(document["accepted"])
                figures.refused += int(document["refused"])
        connection.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    figures.seconds = time.perf_counter() - started
    figures.requests = len(latencies)
    if latencies:
        ordered = sorted(latencies)
        figures.p50_ms = ordered[len(ordered) // 2] * 1000
        figures.p99_ms = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
    if errors:
        print(f"  {len(errors)} batch requests failed, first: {errors[0]}", flush=True)
    return figures


def import_phase(
    *, root: Path, env: dict[str, str], database_url: str, contact: str, rows: int, directory: str
) -> BulkFigures:
    """Run ``manage.py import_interactions`` on an NDJSON file of ``rows`` single-POST bodies."""
    figures = BulkFigures(f"manage.py import_interactions ({rows} lines)")
    known = subprocess.run(
        [sys.executable, "manage.py", "help", "import_interactions"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    if known.returncode != 0:
        figures.skipped = "import command not available (manage.py import_interactions is unknown)"
        return figures
    path = Path(directory) / "import.ndjson"
    with path.open("w") as out:
        for counter in range(rows):
            out.write(json.dumps(single_post_body(contact, counter), separators=(",", ":")))
            out.write("\n")
    before = count_interactions(database_url)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "manage.py", "import_interactions", str(path), "--tenant", "bench"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    figures.seconds = time.perf_counter() - started
    if done.returncode != 0:
        figures.skipped = f"import failed ({done.returncode}): {done.stderr.strip()[-300:]}"
        return figures
    figures.interactions = count_interactions(database_url) - before
    figures.refused = rows - figures.interactions
    return figures


def print_bulk(copy: BulkFigures, phases: list[BulkFigures]) -> None:
    print()
    print(f"{'bulk ingest':<52}{'interactions/s':>16}{'of COPY':>10}{'p50 ms':>10}{'p99 ms':>10}")
    print(f"{copy.name:<52}{copy.rate:>16,.0f}{'100%':>10}")
    for figures in phases:
        if figures.skipped:
            print(f"{figures.name:<52}  skipped: {figures.skipped}")
            continue
        share = figures.rate / copy.rate if copy.rate else 0.0
        latency = f"{figures.p50_ms:>10.0f}{figures.p99_ms:>10.0f}" if figures.requests else ""
        print(f"{figures.name:<52}{figures.rate:>16,.0f}{share:>10.0%}{latency}")
        met = figures.rate >= BAR_RATE and share >= BAR_COPY_SHARE
        print(
            f"  {figures.interactions} accepted, {figures.refused} refused in "
            f"{figures.seconds:.1f}s; bar: at least {BAR_RATE:,}/s (aim {AIM_RATE:,}/s) and "
            f"{BAR_COPY_SHARE:.0%} of COPY: {'met' if met else 'NOT met'}"
        )

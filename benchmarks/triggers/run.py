"""Trigger latency: from a POST /api/v2/interactions response to the webhook's arrival.

Serves the app with gunicorn on PostgreSQL, runs a live Celery worker on Redis (a redis-server of
its own on a free port) and a local webhook receiver, creates an "every time" automation posting
to the receiver, then posts interactions at a fixed rate (default 50/s) and prints p50/p95/max of
the delay between each POST's response and its webhook's arrival (bar: p95 under 1 s).
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PORT = 8766


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run(command: list[str], env: dict[str, str]) -> str:
    return subprocess.run(
        command, env=env, cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


SETUP = """
import json
from automations.services.automations import automation_create
from interactions.models import Tenant
from interactions.services.contacts import contact_create
from interactions.services.schemas import interaction_schema_create
from interactions.services.tenants import api_key_create
tenant = Tenant.objects.create(slug="bench", name="Bench")
_, key = api_key_create(tenant=tenant, name="bench", rate_limit_per_second=0)
interaction_schema_create(tenant=tenant, schema_id="purchase", display_name="Purchase",
    json_schema={"type": "object", "properties": {"n": {"type": "integer"}}})
automation_create(tenant=tenant, name="bench", trigger="new_interaction", entry_rule="every_time",
    actions=[{"type": "webhook", "url": "%(url)s"}])
print(json.dumps({"key": key, "contact": str(contact_create(tenant=tenant, email="b@x.io").pk)}))
"""


class Arrivals:
    def __init__(self) -> None:
        self.at: dict[str, float] = {}
        self.lock = threading.Lock()


def receiver(arrivals: Arrivals) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            now = time.monotonic()
            interaction_id = json.loads(body)["interaction"]["id"]
            with arrivals.lock:
                arrivals.at.setdefault(interaction_id, now)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def wait_for(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)  # noqa: S310 - our own local server
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--rate", type=int, default=50, help="interactions per second")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    args = parser.parse_args()

    database_url = os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/engage_bench"
    )
    data_dir = tempfile.mkdtemp(prefix="engage-bench-")
    redis_port = free_port()
    arrivals = Arrivals()
    hook = receiver(arrivals)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DATA_DIR": data_dir,
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        "AUTOMATIONS_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.1/32",
    }
    processes: list[subprocess.Popen[bytes]] = []
    try:
        processes.append(
            subprocess.Popen(
                ["redis-server", "--port", str(redis_port), "--save", "", "--dir", data_dir],
                stdout=subprocess.DEVNULL,
            )
        )
        ensure_database(database_url)
        print(f"Setting up {database_url} …", flush=True)
        run([sys.executable, "manage.py", "flush", "--noinput"], env)
        run([sys.executable, "manage.py", "migrate", "--noinput"], env)
        url = f"http://127.0.0.1:{hook.server_address[1]}/hook"
        created = json.loads(
            run([sys.executable, "manage.py", "shell", "-v0", "-c", SETUP % {"url": url}], env)
            .strip()
            .splitlines()[-1]
        )
        processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "engage_site.wsgi",
                    "--bind",
                    f"127.0.0.1:{PORT}",
                    "--workers",
                    str(args.workers),
                    "--log-level",
                    "warning",
                ],
                cwd=ROOT,
                env=env,
            )
        )
        processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "engage_site",
                    "worker",
                    os.environ.get("BENCH_WORKER_LOGLEVEL", "--loglevel=WARNING"),
                    "--concurrency=4",
                    "--without-mingle",
                    "--without-gossip",
                ],
                cwd=ROOT,
                env=env,
            )
        )
        wait_for(f"http://127.0.0.1:{PORT}/healthz")
        time.sleep(3)  # the worker connects

        responded: dict[str, float] = {}
        errors = 0
        lock = threading.Lock()

        def post(number: int) -> None:
            nonlocal errors
            body = json.dumps(
                {"contactId": created["contact"], "schemaId": "purchase", "payload": {"n": number}}
            ).encode()
            request = urllib.request.Request(
                f"http://127.0.0.1:{PORT}/api/v2/interactions",
                data=body,
                headers={"Content-Type": "application/json", "apikey": created["key"]},
            )
            try:
                with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                    interaction_id = json.loads(response.read())["id"]
                    with lock:
                        responded[interaction_id] = time.monotonic()
            except OSError:
                with lock:
                    errors += 1

        total = args.seconds * args.rate
        print(f"Posting {total} interactions at {args.rate}/s …", flush=True)
        start = time.monotonic()
        with ThreadPoolExecutor(max_workers=32) as pool:
            for number in range(total):
                delay = start + number / args.rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                pool.submit(post, number)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(arrivals.at) < len(responded):
            time.sleep(0.2)
        latencies = [
            arrivals.at[key] - sent for key, sent in responded.items() if key in arrivals.at
        ]
        missing = len(responded) - len(latencies)
        if not latencies:
            raise RuntimeError("no webhook arrived")
        p50, p95 = percentile(latencies, 0.5), percentile(latencies, 0.95)
        print(
            f"interactions: {len(responded)} posted ({errors} errors), {len(latencies)} webhooks, "
            f"{missing} missing"
        )
        print(
            f"POST response → webhook arrival: p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
            f"max {max(latencies) * 1000:.0f} ms (bar: p95 < 1000 ms: "
            f"{'met' if p95 < 1 else 'NOT met'})"
        )
    finally:
        for process in reversed(processes):
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        hook.shutdown()


if __name__ == "__main__":
    main()

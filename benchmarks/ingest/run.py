"""Ingest benchmark: POST /api/v2/interactions against a minimal authenticated DRF endpoint.

Serves the app with gunicorn on PostgreSQL, lifts the rate limit for the benchmark's key, and drives
both endpoints with wrk from a separate process for a fixed time at a fixed concurrency.

With the Redis broker (the default) Redis is a redis-server of the benchmark's own, with a Celery
worker and beat as in production, and a last phase posts with that redis-server stopped: a broker
outage must not slow ingestion (bar: p50 within 2x of normal). Once Redis is back, the time the
periodic sweep takes to hand over the events committed meanwhile is printed too.
"""

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
PORT = 8765


def run(command: list[str], env: dict[str, str], **kwargs: object) -> str:
    return subprocess.run(
        command, env=env, cwd=ROOT, check=True, capture_output=True, text=True, **kwargs
    ).stdout


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("Installing wrk from Debian's packages …", flush=True)
    subprocess.run(["apt-get", "update", "-qq"], check=True, capture_output=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, capture_output=True)
    return shutil.which("wrk") or "wrk"


def ensure_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def setup(env: dict[str, str]) -> tuple[str, str]:
    python = sys.executable
    run([python, "manage.py", "flush", "--noinput"], env)
    run([python, "manage.py", "migrate", "--noinput"], env)
    key = run([python, "manage.py", "create_tenant", "bench"], env).strip().splitlines()[-1]
    unlimited = (
        run(
            [
                python,
                "manage.py",
                "create_api_key",
                "bench",
                "--name",
                "bench",
                "--rate-limit",
                "0",
            ],
            env,
        )
        .strip()
        .splitlines()[-1]
    )
    script = (
        "from interactions.models import Tenant\n"
        "from interactions.services.contacts import contact_create\n"
        "from interactions.services.schemas import interaction_schema_create\n"
        "from interactions.services.sample_data import REVIEW_SCHEMA\n"
        "t = Tenant.objects.get(slug='bench')\n"
        "interaction_schema_create(tenant=t, schema_id='review', display_name='Review',"
        " json_schema=REVIEW_SCHEMA['jsonSchema'])\n"
        "print(contact_create(tenant=t, email='bench@example.com').pk)\n"
    )
    contact = run([python, "manage.py", "shell", "-v0", "-c", script], env).strip().splitlines()[-1]
    del key
    return unlimited, contact


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_redis(port: int, directory: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", directory],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("redis-server did not start")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


UNDISPATCHED = (
    "from interactions.models import InteractionEvent\n"
    "print(InteractionEvent.objects.filter(dispatched_at__isnull=True).count())\n"
)


def undispatched_events(env: dict[str, str]) -> int:
    script = [sys.executable, "manage.py", "shell", "-v0", "-c", UNDISPATCHED]
    return int(run(script, env).strip().splitlines()[-1])


def wait_for_server() -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=1)
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def parse_wrk(output: str) -> dict[str, float]:
    def latency(label: str) -> float:
        match = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
        if not match:
            raise ValueError(f"no {label}% latency in wrk output:\n{output}")
        return float(match.group(1)) * _UNITS[match.group(2)]

    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    timeouts = re.search(r"Socket errors:.*timeout (\d+)", output)
    total = re.search(r"(\d+) requests in", output)
    return {
        "rps": float(rps.group(1)) if rps else 0.0,
        "p50": latency("50"),
        "p99": latency("99"),
        "requests": float(total.group(1)) if total else 0.0,
        "errors": float(non_2xx.group(1) if non_2xx else 0)
        + float(timeouts.group(1) if timeouts else 0),
    }


def drive(
    wrk: str,
    *,
    key: str,
    path: str,
    seconds: int,
    connections: int,
    script: Path | None,
    env: dict[str, str],
) -> dict[str, float]:
    command = [
        wrk,
        "-t2",
        f"-c{connections}",
        f"-d{seconds}s",
        # wrk leaves answers slower than its timeout (2 s by default) out of the latencies.
        "--timeout",
        "30s",
        "--latency",
        "-H",
        f"apikey: {key}",
        "-H",
        "Content-Type: application/json",
    ]
    if script:
        command += ["-s", str(script)]
    command.append(f"http://127.0.0.1:{PORT}{path}")
    return parse_wrk(
        subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--broker",
        choices=["redis", "none"],
        default="redis",
        help="redis (default): as in production, tasks go to Redis (a redis-server of the "
        "benchmark's own) and a Celery worker runs them, and a last phase stops Redis; none: the "
        "embedded broker (message files under DATA_DIR), as `manage.py serve` without REDIS_URL",
    )
    args = parser.parse_args()

    database_url = os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/engage_bench"
    )
    data_dir = tempfile.mkdtemp(prefix="engage-bench-")
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DATA_DIR": data_dir,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)
    redis_port = free_port()
    processes: dict[str, subprocess.Popen[bytes]] = {}
    # The server's, worker's and beat's output (the outage phase makes them talk) goes here.
    log_fd, log_path = tempfile.mkstemp(prefix="engage-bench-ingest-", suffix=".log")
    log = os.fdopen(log_fd, "ab")
    print(f"Logs of the server, worker and beat: {log_path}", flush=True)
    if args.broker == "redis":
        env["REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
        processes["redis"] = start_redis(redis_port, data_dir)
    wrk = ensure_wrk()
    ensure_database(database_url)
    print(f"Setting up {database_url} …", flush=True)
    key, contact = setup(env)
    env["BENCH_CONTACT"] = contact
    processes["server"] = subprocess.Popen(
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
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    celery = [sys.executable, "-m", "celery", "-A", "engage_site"]
    # The worker and beat, as in production (`manage.py serve` starts the same without Redis).
    processes["worker"] = subprocess.Popen(
        [
            *celery,
            "worker",
            "--concurrency=1",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    processes["beat"] = subprocess.Popen(
        [*celery, "beat", "--loglevel=ERROR", "-s", os.path.join(data_dir, "beat")],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    outage: dict[str, float] | None = None
    catch_up: float | None = None

    def ingest_phase(seconds: int) -> dict[str, float]:
        return drive(
            wrk,
            key=key,
            path="/api/v2/interactions",
            seconds=seconds,
            connections=args.connections,
            script=HERE / "ingest.lua",
            env=env,
        )

    try:
        wait_for_server()
        # Warm up both endpoints (connections, compiled validator) before measuring.
        drive(
            wrk,
            key=key,
            path="/api/v2/ping",
            seconds=2,
            connections=args.connections,
            script=None,
            env=env,
        )
        ingest_phase(2)
        print(
            f"Measuring {args.seconds}s per endpoint at concurrency {args.connections} "
            f"({args.workers} gunicorn workers, broker: {args.broker}) …",
            flush=True,
        )
        baseline = drive(
            wrk,
            key=key,
            path="/api/v2/ping",
            seconds=args.seconds,
            connections=args.connections,
            script=None,
            env=env,
        )
        ingest = ingest_phase(args.seconds)
        if args.broker == "redis":
            print(f"Measuring {args.seconds}s of ingest with redis-server stopped …", flush=True)
            stop(processes["redis"])
            outage = ingest_phase(args.seconds)
            processes["redis"] = start_redis(redis_port, data_dir)
            back = time.monotonic()
            # Beat and the worker reconnect on their own; a supervisor would restart them if they
            # had exited.
            for name in ("worker", "beat"):
                if processes[name].poll() is not None:
                    print(f"(the {name} exited during the outage)", flush=True)
            deadline = back + 120
            while undispatched_events(env) and time.monotonic() < deadline:
                time.sleep(0.5)
            if not undispatched_events(env):
                catch_up = time.monotonic() - back
    finally:
        for process in reversed(processes.values()):
            stop(process)
        shutil.rmtree(data_dir, ignore_errors=True)

    print()
    print(f"{'endpoint':<34}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'failed':>10}")
    for name, figures in (
        ("GET /api/v2/ping (baseline)", baseline),
        ("POST /api/v2/interactions", ingest),
    ):
        print(
            f"{name:<34}{figures['rps']:>10.0f}{figures['p50']:>10.2f}{figures['p99']:>10.2f}"
            f"{figures['errors']:>10.0f}"
        )
    ratio = ingest["rps"] / baseline["rps"] if baseline["rps"] else 0.0
    print(f"\ningest / baseline throughput: {ratio:.0%}  (target: at least 40%, p99 under 50 ms)")
    if outage is not None:
        print()
        header = f"{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'failed':>10}"
        print(f"{'POST /api/v2/interactions':<34}{header}")
        for name, figures in (("broker up", ingest), ("broker (redis-server) stopped", outage)):
            print(
                f"{name:<34}{figures['rps']:>10.0f}{figures['p50']:>10.2f}"
                f"{figures['p99']:>10.2f}{figures['errors']:>10.0f}"
            )
        p50_ratio = outage["p50"] / ingest["p50"] if ingest["p50"] else 0.0
        p99_ratio = outage["p99"] / ingest["p99"] if ingest["p99"] else 0.0
        print(
            f"\noutage / normal: p50 {p50_ratio:.2f}x, p99 {p99_ratio:.2f}x  "
            "(target: p50 within 2x)"
        )
        if catch_up is None:
            print("events committed during the outage: NOT all dispatched within 120 s of Redis")
        else:
            print(f"events committed during the outage: all dispatched {catch_up:.1f}s after Redis")


if __name__ == "__main__":
    main()

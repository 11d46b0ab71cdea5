"""Ingest benchmark: POST /api/v2/interactions against a minimal authenticated DRF endpoint.

Serves the app with gunicorn on PostgreSQL, lifts the rate limit for the benchmark's key, and drives
both endpoints with wrk from a separate process for a fixed time at a fixed concurrency.

With the Redis broker (the default) Redis is a redis-server of the benchmark's own, with a Celery
worker and beat as in production, and a last phase posts with that redis-server stopped: a broker
outage must not slow ingestion (bar: p50 within 2x of normal). Once Redis is back, the time the
periodic sweep takes to hand over the events committed meanwhile is printed too.

The bulk phases (``bulk.py``) compare the batch route and the import command with a raw COPY of the
same rows, measured in the same run before the server starts.
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
sys.path[:0] = [str(HERE), str(ROOT)]

import bulk  # noqa: E402 - a module beside this script

# Set in main(): a free port, so that two runs on one machine don't meet.
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


def setup(env: dict[str, str], *, contacts: int) -> tuple[str, str, str]:
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
    extra = contacts - 1
    script = (
        "from interactions.models import Tenant\n"
        "from interactions.services.contacts import contact_create\n"
        "from interactions.services.schemas import interaction_schema_create\n"
        "from interactions.services.sample_data import REVIEW_SCHEMA\n"
        "t = Tenant.objects.get(slug='bench')\n"
        "interaction_schema_create(tenant=t, schema_id='review', display_name='Review',"
        " json_schema=REVIEW_SCHEMA['jsonSchema'])\n"
        "print(contact_create(tenant=t, email='bench@example.com').pk)\n"
        # More contacts for the single POSTs, made directly (setup, not what is measured): the
        # card's summary rows are per contact, so one contact makes every POST wait on one row.
        "from interactions.models import Contact\n"
        f"others = [Contact(tenant=t, email=f'b{{n}}@example.com') for n in range({extra})]\n"
        "print(','.join(str(c.pk) for c in Contact.objects.bulk_create(others)))\n"
    )
    lines = run([python, "manage.py", "shell", "-v0", "-c", script], env).strip().splitlines()
    contact, others = (lines[-1], "") if contacts == 1 else (lines[-2], lines[-1])
    del key
    return unlimited, contact, ",".join(filter(None, [contact, others]))


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its children so far, from /proc (Linux)."""
    total = 0.0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(child) for child in children]
    except OSError:
        pass
    for each in pids:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


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
    parser.add_argument(
        "--rows",
        type=int,
        default=100_000,
        help="interactions in the COPY baseline and the import file (default 100000)",
    )
    parser.add_argument(
        "--batch-size", type=int, default=1000, help="interactions per batch request (1000)"
    )
    parser.add_argument(
        "--batch-connections", type=int, default=4, help="concurrent batch clients (4)"
    )
    parser.add_argument(
        "--contacts",
        type=int,
        default=1000,
        help="contacts the single POSTs go round (default 1000; 1 makes every POST update the "
        "same contact's summary rows, the worst case)",
    )
    parser.add_argument(
        "--skip-bulk", action="store_true", help="no COPY baseline, batch or import phase"
    )
    args = parser.parse_args()
    global PORT
    PORT = free_port()

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
    key, contact, contacts = setup(env, contacts=args.contacts)
    env["BENCH_CONTACT"] = contact
    env["BENCH_CONTACTS"] = contacts
    copy_baseline: bulk.BulkFigures | None = None
    bulk_phases: list[bulk.BulkFigures] = []
    if not args.skip_bulk:
        # Before the server, the worker and beat start: nothing else competes, and the worker
        # never sees the baseline's events (they are deleted again).
        print(f"Measuring a raw COPY of {args.rows} interactions …", flush=True)
        copy_baseline = bulk.copy_baseline(database_url, contact=contact, rows=args.rows)
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
            f"({args.workers} gunicorn workers, broker: {args.broker}, POSTs over "
            f"{args.contacts} contact{'s' if args.contacts != 1 else ''}) …",
            flush=True,
        )
        # CPU per request of the web workers (and of the Celery worker, which hands the events
        # over): steadier than req/s on a machine shared with other work.
        web, worker = processes["server"].pid, processes["worker"].pid
        before = cpu_seconds(web), cpu_seconds(worker)
        baseline = drive(
            wrk,
            key=key,
            path="/api/v2/ping",
            seconds=args.seconds,
            connections=args.connections,
            script=None,
            env=env,
        )
        after = cpu_seconds(web), cpu_seconds(worker)
        ingest = ingest_phase(args.seconds)
        done = cpu_seconds(web), cpu_seconds(worker)
        for figures, start, end in ((baseline, before, after), (ingest, after, done)):
            requests = figures["requests"] or 1
            figures["web_cpu"] = (end[0] - start[0]) * 1000 / requests
            figures["worker_cpu"] = (end[1] - start[1]) * 1000 / requests
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
        # Last: the worker hands over the events of whole batches for a while after them.
        if not args.skip_bulk:
            print(f"Measuring {args.seconds}s of batches and an import …", flush=True)
            bulk_phases.append(
                bulk.batch_phase(
                    port=PORT,
                    key=key,
                    contact=contact,
                    seconds=args.seconds,
                    connections=args.batch_connections,
                    size=args.batch_size,
                )
            )
            bulk_phases.append(
                bulk.import_phase(
                    root=ROOT,
                    env=env,
                    database_url=database_url,
                    contact=contact,
                    rows=args.rows,
                    directory=data_dir,
                )
            )
    finally:
        for process in reversed(processes.values()):
            stop(process)
        shutil.rmtree(data_dir, ignore_errors=True)

    print()
    print(f"load average at the end: {os.getloadavg()[0]:.2f} (the measurements share the machine)")
    print(
        f"{'endpoint':<34}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'failed':>10}"
        f"{'web CPU ms':>12}{'worker CPU ms':>15}"
    )
    for name, figures in (
        ("GET /api/v2/ping (baseline)", baseline),
        ("POST /api/v2/interactions", ingest),
    ):
        print(
            f"{name:<34}{figures['rps']:>10.0f}{figures['p50']:>10.2f}{figures['p99']:>10.2f}"
            f"{figures['errors']:>10.0f}{figures['web_cpu']:>12.2f}{figures['worker_cpu']:>15.2f}"
        )
    ratio = ingest["rps"] / baseline["rps"] if baseline["rps"] else 0.0
    met = ratio >= 0.40 and ingest["p99"] < 50
    print(
        f"\ningest / baseline throughput: {ratio:.0%}, p99 {ingest['p99']:.0f} ms  "
        f"(bar: at least 40% (aim 50%) and p99 under 50 ms: {'met' if met else 'NOT met'})"
    )
    cpu_ratio = baseline["web_cpu"] / ingest["web_cpu"] if ingest["web_cpu"] else 0.0
    print(f"web CPU per request, ping / POST: {cpu_ratio:.0%}")
    if copy_baseline is not None:
        bulk.print_bulk(copy_baseline, bulk_phases)
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

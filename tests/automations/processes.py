"""Processes the fault-injection tests start: Celery workers, a private redis-server, and this
module run as a script (``python -m tests.automations.processes ROLE``) to produce interactions or
to sweep (the beat's job) from a process of its own.

Roles:
- ``produce CONTACT_IDS_FILE SCHEMA_ID PER_CONTACT``: store interactions, one transaction per
  contact round; a broker failure after a commit is ignored (the sweep covers it).
- ``commit-and-die CONTACT_IDS_FILE SCHEMA_ID``: commit interactions and their events, then kill
  this process with SIGKILL before the post-commit dispatch runs (a web process dying there).
- ``sweep``: every half second, hand over events and relay due runs, as the beat schedule does.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_worker(env: dict[str, str], log_path: Path, node: str, concurrency: int = 2) -> Any:
    log = open(log_path, "ab")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "engage_site", "worker", "--loglevel=WARNING",
         f"--concurrency={concurrency}", "--without-mingle", "--without-gossip", "-n", node],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip


def start_redis(port: int, directory: Path) -> Any:
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(directory)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
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


def start_role(role: str, *args: str, env: dict[str, str], log_path: Path) -> Any:
    log = open(log_path, "ab")  # noqa: SIM115
    return subprocess.Popen(
        [sys.executable, "-m", "tests.automations.processes", role, *args],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip


def stop(process: Any) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _store(contact_ids: list[str], schema_id: str, per_contact: int, die: bool) -> None:
    from django.db import transaction
    from django.utils import timezone

    from interactions.models import Contact
    from interactions.services.interactions import (
        InteractionDraft,
        interaction_check,
        interaction_create,
    )

    contacts = {str(c.pk): c for c in Contact.objects.filter(pk__in=contact_ids)}
    for round_number in range(per_contact):
        try:
            with transaction.atomic():
                if die and round_number == per_contact - 1:
                    # Registered first, so it runs first after the commit: the dispatch that
                    # the core registers after it never happens.
                    transaction.on_commit(lambda: os.kill(os.getpid(), signal.SIGKILL))
                for contact_id in contact_ids:
                    contact = contacts[contact_id]
                    document = {
                        "contactId": contact_id,
                        "schemaId": schema_id,
                        "payload": {"store": f"s{round_number}"},
                    }
                    draft = interaction_check(tenant=contact.tenant, document=document)
                    assert isinstance(draft, InteractionDraft)
                    interaction_create(
                        tenant=contact.tenant,
                        draft=draft,
                        body=json.dumps(document).encode(),
                        received_at=timezone.now(),
                    )
        except Exception as error:
            print(f"round {round_number}: {type(error).__name__}: {error}", flush=True)


def _sweep() -> None:
    from automations.services.relay import automation_runs_relay
    from interactions.services.events import interaction_events_dispatch

    while True:
        try:
            while interaction_events_dispatch():
                pass
            automation_runs_relay()
        except Exception as error:
            print(f"sweep: {type(error).__name__}: {error}", flush=True)
        time.sleep(0.5)


def main(argv: list[str]) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "engage_site.settings")
    django.setup()
    role = argv[0]
    if role == "sweep":
        _sweep()
        return
    contact_ids = Path(argv[1]).read_text().split()
    if role == "produce":
        _store(contact_ids, argv[2], int(argv[3]), die=False)
    elif role == "commit-and-die":
        _store(contact_ids, argv[2], 1, die=True)


if __name__ == "__main__":
    main(sys.argv[1:])

"""A real PostgreSQL streaming replica of the test server, for the read-replica tests.

``pg_basebackup -R`` copies the primary into a directory of its own and writes the standby
settings; ``pg_ctl`` starts it on a free port. The server runs as the ``postgres`` user (it
refuses root), so the commands run through ``runuser`` when the tests run as root. The primary
must accept replication connections from 127.0.0.1 (``.ci/run`` adds that line to pg_hba.conf).
"""

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from tests.automations.processes import free_port

# The standby must allow at least as much as the primary; these are the stock defaults' bounds.
_STANDBY_CONF = """
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = '{directory}'
hot_standby = on
max_connections = {max_connections}
max_worker_processes = {max_worker_processes}
max_wal_senders = {max_wal_senders}
max_prepared_transactions = {max_prepared_transactions}
max_locks_per_transaction = {max_locks_per_transaction}
shared_buffers = 32MB
fsync = off
"""
_HBA = "local all all trust\nhost all all 127.0.0.1/32 trust\n"
_LIMITS = (
    "max_connections",
    "max_worker_processes",
    "max_wal_senders",
    "max_prepared_transactions",
    "max_locks_per_transaction",
)


def _bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    if not versions:
        raise RuntimeError(f"{name} not found")
    return str(versions[-1] / name)


def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class StreamingReplica:
    def __init__(self, primary: dict[str, Any], limits: dict[str, str]) -> None:
        self.primary = primary
        self.limits = limits
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="engage-replica-"))
        self.data = self.directory / "data"
        if os.geteuid() == 0:
            entry = pwd.getpwnam("postgres")
            os.chown(self.directory, entry.pw_uid, entry.pw_gid)

    def _run(self, command: list[str], timeout: float = 300) -> None:
        done = subprocess.run(
            _as_postgres(command), capture_output=True, text=True, timeout=timeout, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")

    def create(self) -> None:
        self._run(
            [_bin("pg_basebackup"), "-h", str(self.primary.get("HOST") or "127.0.0.1"),
             "-p", str(self.primary.get("PORT") or 5432), "-U", str(self.primary["USER"]),
             "-D", str(self.data), "-R", "-X", "stream", "-c", "fast"]
        )  # fmt: skip
        # A Debian cluster keeps its configuration outside the data directory.
        conf = _STANDBY_CONF.format(port=self.port, directory=self.directory, **self.limits)
        for name, text in (("postgresql.conf", conf), ("pg_hba.conf", _HBA), ("pg_ident.conf", "")):
            (self.data / name).write_text(text)
            if os.geteuid() == 0:
                entry = pwd.getpwnam("postgres")
                os.chown(self.data / name, entry.pw_uid, entry.pw_gid)

    def start(self) -> None:
        self._run(
            [_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.directory / "replica.log"),
             "-w", "-t", "60", "start"]
        )  # fmt: skip

    def stop(self) -> None:
        self._run([_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"])

    def remove(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)

    def settings_for(self, database: dict[str, Any]) -> dict[str, Any]:
        """``database`` (a DATABASES entry of the primary) as read from this replica."""
        return {
            **database,
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "CONN_MAX_AGE": 0,
            "OPTIONS": {"connect_timeout": 2},
            "TEST": {**database.get("TEST", {}), "MIRROR": "default"},
        }


def replica_limits(cursor: Any) -> dict[str, str]:
    """The primary's settings that a hot standby must at least match."""
    limits = {}
    for name in _LIMITS:
        cursor.execute(f"SHOW {name}")
        limits[name] = cursor.fetchone()[0]
    return limits

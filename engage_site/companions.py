"""The processes ``manage.py serve`` runs beside gunicorn when there is no Redis: a Celery worker
on the embedded broker (message files under ``DATA_DIR``) and the periodic jobs
(``manage.py run_periodic_jobs``).

They run in sessions of their own, so a Ctrl-C in the terminal reaches ``serve`` alone, which
stops them with one SIGTERM each as it stops (the worker then finishes the tasks it is running).
Should ``serve`` die without cleaning up, Linux sends them SIGTERM too (the parent-death signal),
so they never outlive it.
"""

import ctypes
import ctypes.util
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

logger = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Runs in the child between fork and exec: ask for SIGTERM when the parent dies."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def companions_start(*, base_dir: Path, concurrency: int) -> list[subprocess.Popen[bytes]]:
    """Start the worker and the periodic jobs; their output goes to this process's."""
    parent = os.getpid()
    commands = [
        [
            sys.executable,
            "-m",
            "celery",
            # No banner: it would bury the address serve prints.
            "--quiet",
            "-A",
            "engage_site",
            "worker",
            "--loglevel=WARNING",
            f"--concurrency={concurrency}",
            # Neither is needed with a single worker, and both cost start-up time and messages.
            "--without-mingle",
            "--without-gossip",
            "-n",
            f"embedded-{parent}@%h",
        ],
        [sys.executable, str(base_dir / "manage.py"), "run_periodic_jobs"],
    ]
    return [
        subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            command, cwd=base_dir, start_new_session=True, preexec_fn=_die_with_parent
        )
        for command in commands
    ]


def companions_stop(processes: list[subprocess.Popen[bytes]], *, timeout: float = 30.0) -> None:
    """SIGTERM each, wait up to ``timeout`` seconds in all, then SIGKILL whatever is left."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + timeout
    for process in processes:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            logger.warning("Companion %s did not stop in time; killing it", process.args)
            process.kill()
            process.wait()

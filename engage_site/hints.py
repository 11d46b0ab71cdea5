"""Hints to the broker: messages that only make work start sooner.

A hint may be lost, because a periodic job does the same work anyway (the sweep of undispatched
interaction events, for one). So a hint never holds up its caller, typically a request whose data
is already committed: it is published over a connection of its own with short timeouts and no
retries, and after a failure this process skips its hints for a few seconds (a circuit breaker,
as the rate limiter does with the cache) instead of paying for a dead broker on every request.
"""

import logging
import os
import threading
import time
from typing import Any

from celery import Task
from kombu import Connection

logger = logging.getLogger(__name__)

# How long to wait for the broker to accept a connection and to answer.
TIMEOUT_SECONDS = 0.5
# After a failure, hints are skipped for this long.
PAUSE_SECONDS = 5.0

_paused_until = 0.0
# One connection per thread (gunicorn's threads publish concurrently) and per process (a forked
# child must not share its parent's socket).
_connections = threading.local()


def hints_paused() -> bool:
    """Whether hints are skipped for now, after a recent failure (never where tasks run
    in-process)."""
    from engage_site.celery import app

    return time.monotonic() < _paused_until and not app.conf.task_always_eager


def hints_pause(reason: str) -> None:
    """Skip hints for ``PAUSE_SECONDS``: something they need (the broker, the cache) failed."""
    global _paused_until
    _paused_until = time.monotonic() + PAUSE_SECONDS
    logger.warning("%s: hints are off for %ss (periodic jobs catch up)", reason, PAUSE_SECONDS)


def hint_send(task: Task[Any, Any], *args: Any) -> bool:
    """Publish ``task(*args)`` as a hint; returns whether it was sent.

    Never raises and never waits more than about ``TIMEOUT_SECONDS`` for the broker. Where tasks
    run in-process (the tests), the task simply runs.
    """
    if task.app.conf.task_always_eager:
        task.apply_async(args)
        return True
    if hints_paused():
        return False
    try:
        producer = task.app.amqp.Producer(_connection(task), auto_declare=False)
        task.apply_async(args, producer=producer, retry=False)
    except Exception as error:
        _connection_drop()
        hints_pause(f"Broker unreachable ({type(error).__name__}: {error})")
        return False
    return True


def _connection(task: Task[Any, Any]) -> Connection:
    connection: Connection | None = getattr(_connections, "connection", None)
    if connection is None or _connections.pid != os.getpid():
        options = {
            **task.app.conf.broker_transport_options,
            # No reconnection attempts, and short socket timeouts (Redis; other transports ignore
            # the options they don't know).
            "max_retries": 0,
            "socket_connect_timeout": TIMEOUT_SECONDS,
            "socket_timeout": TIMEOUT_SECONDS,
        }
        connection = task.app.connection_for_write(
            connect_timeout=TIMEOUT_SECONDS, transport_options=options
        )
        _connections.connection, _connections.pid = connection, os.getpid()
    return connection


def _connection_drop() -> None:
    connection: Connection | None = getattr(_connections, "connection", None)
    _connections.connection = None
    if connection is not None and _connections.pid == os.getpid():
        try:
            connection.release()
        except Exception:
            logger.debug("Closing a failed hint connection failed", exc_info=True)

"""Reads from a PostgreSQL streaming replica, where a page may be a few seconds behind.

With ``DATABASE_REPLICA_URL`` set, views marked ``@replica_reads`` (staff pages that only read:
lists, cards, counts, previews, exports; a POST that only reads, such as a live count, too) read
from the ``replica`` database; everything else
reads and writes on the primary (``default``): the API, every write, and every page a staff user
opens within ``DATABASE_REPLICA_MAX_LAG_SECONDS`` of a write of theirs, so nobody misses their
own change. Before reading from the replica a process checks that it answers and is no further
behind than that bound; otherwise it reads from the primary and logs why. The verdict is kept
for ``DATABASE_REPLICA_CHECK_SECONDS``, so the check costs one query per process that often.
"""

import contextvars
import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

logger = logging.getLogger(__name__)

REPLICA = "replica"
PRIMARY_UNTIL_COOKIE = "engage_primary_until"
_SAFE_METHODS = frozenset({"GET", "HEAD"})

_reading_from_replica: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "reading_from_replica", default=False
)

# How far behind the primary the replica is: zero when it has replayed everything it received
# (an idle primary sends nothing, so the time since the last replayed transaction says nothing
# then), else the age of the last transaction it replayed.
_LAG_SQL = """
SELECT CASE
  WHEN NOT pg_is_in_recovery() THEN 0
  WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
  ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0)
END
"""


def replica_configured() -> bool:
    return REPLICA in connections.settings


class _Verdict:
    """Whether this process may read from the replica, decided at most every check interval."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._usable = False
        self._checked_at = float("-inf")

    def usable(self) -> bool:
        with self._lock:
            if time.monotonic() - self._checked_at >= settings.DATABASE_REPLICA_CHECK_SECONDS:
                self._usable = _replica_usable_now()
                self._checked_at = time.monotonic()
            return self._usable

    def forget(self) -> None:
        with self._lock:
            self._checked_at = float("-inf")


def _replica_usable_now() -> bool:
    bound = settings.DATABASE_REPLICA_MAX_LAG_SECONDS
    connection = connections[REPLICA]
    try:
        with connection.cursor() as cursor:
            cursor.execute(_LAG_SQL)
            lag = float(cursor.fetchone()[0])
    except Exception as error:
        logger.warning("Replica unreachable (%s); reading from the primary", error)
        connection.close()
        return False
    if lag > bound:
        logger.warning(
            "Replica is %.1f s behind the primary (bound %.1f s); reading from the primary",
            lag,
            bound,
        )
        return False
    return True


replica_verdict = _Verdict()


class ReplicaRouter:
    """Sends reads to the replica inside ``@replica_reads`` views; never migrates it."""

    def db_for_read(self, model: type, **hints: Any) -> str | None:
        if _reading_from_replica.get() and replica_verdict.usable():
            return REPLICA
        return None

    def db_for_write(self, model: type, **hints: Any) -> str | None:
        return None

    def allow_relation(self, first: Any, second: Any, **hints: Any) -> bool | None:
        return True  # one database, two copies

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return db != REPLICA


def _recently_wrote(request: HttpRequest) -> bool:
    try:
        return float(request.COOKIES.get(PRIMARY_UNTIL_COOKIE, "0")) > time.time()
    except ValueError:
        return False


def _replica_allowed(request: HttpRequest) -> bool:
    return replica_configured() and not _recently_wrote(request)


def _streamed_from_replica(content: Iterator[Any]) -> Iterator[Any]:
    """A streamed body runs its queries while it is sent, after the view has returned."""
    token = _reading_from_replica.set(True)
    try:
        yield from content
    finally:
        _reading_from_replica.reset(token)


def replica_reads(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Mark a read-only staff page whose reads may come from the replica."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        request.reads_only = True  # type: ignore[attr-defined]  # read by the middleware below
        if not _replica_allowed(request):
            return view(request, *args, **kwargs)
        token = _reading_from_replica.set(True)
        try:
            response = view(request, *args, **kwargs)
        finally:
            _reading_from_replica.reset(token)
        if isinstance(response, StreamingHttpResponse):
            response.streaming_content = _streamed_from_replica(response.streaming_content)
        return response

    return wrapped


class PrimaryAfterWriteMiddleware:
    """After a staff user's write, their pages read from the primary until the replica has had
    time to catch up (a cookie holds the time; forging it only costs its sender replica reads)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated  # staff, not API clients
        wrote = request.method not in _SAFE_METHODS and not getattr(request, "reads_only", False)
        if replica_configured() and signed_in and wrote:
            bound = settings.DATABASE_REPLICA_MAX_LAG_SECONDS
            response.set_cookie(
                PRIMARY_UNTIL_COOKIE,
                f"{time.time() + bound:.3f}",
                max_age=int(bound) + 1,
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response

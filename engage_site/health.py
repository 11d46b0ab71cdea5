"""Liveness and readiness probes for load balancers and orchestrators."""

import logging

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse

logger = logging.getLogger(__name__)


def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and serving requests."""
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> JsonResponse:
    """Ready when the database answers. The broker's state is reported but does not make a web
    process unready: requests are served without it (background work catches up when it is
    back), so a load balancer must not take every web process out during a broker outage."""
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception:
        logger.warning("Readiness: database unreachable", exc_info=True)
        checks["database"] = "unavailable"
    if settings.REDIS_URL:
        checks["broker"] = _broker_status()
    if checks["database"] != "ok":
        return JsonResponse({"status": "unavailable", "checks": checks}, status=503)
    degraded = any(status != "ok" for status in checks.values())
    return JsonResponse({"status": "degraded" if degraded else "ok", "checks": checks})


def _broker_status() -> str:
    from engage_site.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=1)
        return "ok"
    except Exception:
        logger.warning("Readiness: broker unreachable", exc_info=True)
        return "unavailable"

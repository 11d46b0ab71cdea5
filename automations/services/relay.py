"""Relaying runs to the workers: right after their claim, and again (periodically) for any
pending run that is due, i.e. never sent, lost with its message, or held by a worker that died."""

import logging
from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from automations.models import AutomationRun

logger = logging.getLogger(__name__)


def runs_enqueue(run_ids: Sequence[str]) -> None:
    """Send runs to the workers. A failure to send is logged: the relay sends them later."""
    from automations.tasks import automation_run_execute_task  # tasks import this module

    for run_id in run_ids:
        try:
            automation_run_execute_task.delay(run_id)
        except Exception:  # the broker is down: the run stays due for the relay
            logger.warning("Could not enqueue automation run %s; the relay will", run_id)
            return


def automation_runs_relay(*, limit: int = 500) -> int:
    """Send pending runs that are due (never sent, lost, or whose worker died) to the workers
    again, and push their ``due_at`` a lease ahead; returns how many were sent."""
    now = timezone.now()
    with transaction.atomic():
        due = list(
            AutomationRun.objects.select_for_update(skip_locked=True)
            .filter(status=AutomationRun.Status.PENDING, due_at__lte=now)
            .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
            .order_by("due_at")
            .values_list("pk", flat=True)[:limit]
        )
        if not due:
            return 0
        AutomationRun.objects.filter(pk__in=due).update(
            due_at=now + timedelta(seconds=settings.AUTOMATIONS_LEASE_SECONDS)
        )
    runs_enqueue([str(pk) for pk in due])
    return len(due)

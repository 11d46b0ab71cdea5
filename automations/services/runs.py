"""Executing runs: the actions in order, each attempt logged, retries with back-off, and a
visible failed state after ``AUTOMATIONS_MAX_ATTEMPTS`` failures; also retrying by hand, the
webhook test and retention. What each action does is ``actions.py``'s."""

import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from automations.models import Automation, AutomationRun, RunAttempt
from automations.services.actions import ActionFailed, action_perform, run_document
from automations.services.relay import runs_enqueue
from automations.services.webhooks import WebhookError, signing_keys, webhook_policy, webhook_post
from interactions.public import Tenant

logger = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 3600.0

# --- Executing ------------------------------------------------------------------------------------


def backoff_seconds(failures: int) -> float:
    """Delay before the next try after ``failures`` failed tries: base, 2 x base, 4 x base, …"""
    return float(
        min(MAX_BACKOFF_SECONDS, settings.AUTOMATIONS_RETRY_BASE_SECONDS * 2 ** (failures - 1))
    )


@dataclass(frozen=True)
class ExecuteResult:
    status: str
    retry_in: float | None = None


def _held(run: AutomationRun, lock: datetime, **fields: Any) -> bool:
    """Save ``fields`` if this worker still holds the run's lease."""
    saved = AutomationRun.objects.filter(pk=run.pk, locked_until=lock).update(**fields)
    for name, value in fields.items():
        setattr(run, name, value)
    return saved == 1


def automation_run_execute(*, run_id: str) -> ExecuteResult:
    """Run the remaining actions of a pending run. Safe to call twice and concurrently: only the
    caller whose conditional update takes the lease does anything."""
    now = timezone.now()
    lock = now + timedelta(seconds=settings.AUTOMATIONS_LEASE_SECONDS)
    taken = (
        AutomationRun.objects.filter(pk=run_id, status=AutomationRun.Status.PENDING)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .update(locked_until=lock, due_at=lock)
    )
    if taken != 1:
        return ExecuteResult("skipped")
    run = AutomationRun.objects.select_related("automation", "contact", "tenant").get(pk=run_id)
    actions: list[dict[str, Any]] = list(run.automation.actions)
    document = run_document(run)
    # Tries are numbered over the run's whole life: a retry by hand resets ``action_failures``
    # (a fresh allowance of tries) but not the count of tries already logged for the action.
    tried = RunAttempt.objects.filter(run=run, action_index=run.next_action).count()
    while run.next_action < len(actions):
        action = actions[run.next_action]
        started, clock = timezone.now(), time.monotonic()
        error: ActionFailed | None = None
        try:
            action_perform(run=run, action=action, document=document)
        except ActionFailed as failure:
            error = failure
        except Exception as unexpected:  # a bug or an outside failure: log it, retry the action
            logger.exception("Automation run %s: action %s failed", run.pk, run.next_action)
            error = ActionFailed(f"{type(unexpected).__name__}: {unexpected}")
        RunAttempt.objects.create(
            run=run,
            action_index=run.next_action,
            action_type=action["type"],
            number=tried + 1,
            outcome=RunAttempt.Outcome.FAILED if error else RunAttempt.Outcome.SUCCEEDED,
            duration_ms=round((time.monotonic() - clock) * 1000),
            error=str(error or "")[:2000],
            started_at=started,
        )
        tried += 1
        if error is None:
            if not _held(run, lock, next_action=run.next_action + 1, action_failures=0):
                return ExecuteResult("lost")
            tried = 0  # the next action has never been tried: runs stop at a failing one
            continue
        failures = run.action_failures + 1
        if error.permanent or failures >= settings.AUTOMATIONS_MAX_ATTEMPTS:
            _held(
                run,
                lock,
                action_failures=failures,
                status=AutomationRun.Status.FAILED,
                error=str(error)[:2000],
                finished_at=timezone.now(),
                locked_until=None,
            )
            return ExecuteResult("failed")
        delay = backoff_seconds(failures)
        _held(
            run,
            lock,
            action_failures=failures,
            error=str(error)[:2000],
            due_at=timezone.now() + timedelta(seconds=delay),
            locked_until=None,
        )
        return ExecuteResult("retry", retry_in=delay)
    _held(
        run,
        lock,
        status=AutomationRun.Status.SUCCEEDED,
        error="",
        finished_at=timezone.now(),
        locked_until=None,
    )
    return ExecuteResult("succeeded")


@transaction.atomic
def automation_run_retry(*, run: AutomationRun) -> None:
    """Try a failed run again from the action that failed, with a fresh count of tries."""
    if run.status != AutomationRun.Status.FAILED:
        return
    run.status = AutomationRun.Status.PENDING
    run.action_failures = 0
    run.finished_at = None
    run.locked_until = None
    run.due_at = timezone.now() + timedelta(seconds=settings.AUTOMATIONS_LEASE_SECONDS)
    run.save(update_fields=["status", "action_failures", "finished_at", "locked_until", "due_at"])
    run_id = str(run.pk)
    transaction.on_commit(lambda: runs_enqueue([run_id]))


def automation_webhook_test(*, tenant: Tenant, automation: Automation, url: str) -> str | None:
    """Send a sample document to ``url`` signed like a real run; the error, or None on success."""
    sample = {
        "runId": "test",
        "test": True,
        "automation": {"id": str(automation.public_id), "name": automation.name},
        "contact": None,
        "interaction": None,
        "product": None,
    }
    try:
        webhook_post(
            url=url,
            body=json.dumps(sample).encode(),
            keys=signing_keys(automation),
            run_id="test",
            timeout=settings.AUTOMATIONS_WEBHOOK_TIMEOUT_SECONDS,
            policy=webhook_policy(),
        )
    except WebhookError as error:
        return str(error)
    return None


def automation_runs_purge() -> dict[str, int]:
    """Retention: delete attempt logs older than the retention, and finished "every time" runs
    (whose claims keep nobody out). Other runs stay: their claims enforce the entry rules."""
    cutoff = timezone.now() - timedelta(days=settings.AUTOMATIONS_RUN_RETENTION_DAYS)
    attempts, _ = RunAttempt.objects.filter(started_at__lt=cutoff).delete()
    runs, _ = AutomationRun.objects.filter(
        automation__entry_rule=Automation.EntryRule.EVERY_TIME,
        finished_at__lt=cutoff,
    ).delete()
    return {"attempts": attempts, "runs": runs}

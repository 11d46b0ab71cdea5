"""Automation jobs: thin, idempotent, taking ids only."""

from celery import shared_task

from automations.services.relay import automation_runs_relay
from automations.services.runs import automation_run_execute, automation_runs_purge


@shared_task
def automation_run_execute_task(run_id: str) -> str:
    """Run a run's remaining actions; a failed try is scheduled again after its back-off (and the
    relay re-sends it anyway if this message is lost)."""
    result = automation_run_execute(run_id=run_id)
    if result.retry_in is not None:
        automation_run_execute_task.apply_async((run_id,), countdown=result.retry_in)
    return result.status


@shared_task
def automation_runs_relay_task() -> int:
    total = 0
    while sent := automation_runs_relay():
        total += sent
    return total


@shared_task
def automation_runs_purge_task() -> dict[str, int]:
    return automation_runs_purge()

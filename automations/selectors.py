"""Reads of automations and runs; each starts from the tenant."""

import uuid

from django.db.models import Count, Prefetch, Q, QuerySet

from automations.exceptions import AutomationNotFound, AutomationRunNotFound
from automations.filters import AutomationRunFilter
from automations.models import Automation, AutomationRun, RunAttempt
from engage_site.api.ids import uuid_or_none
from interactions.public import Contact, InteractionSchema, Tenant


def automation_list(*, tenant: Tenant) -> QuerySet[Automation]:
    """The tenant's automations with their run counts, by name."""
    return (
        Automation.objects.filter(tenant=tenant)
        .select_related("schema")
        .prefetch_related("schemas")
        .annotate(
            run_count=Count("runs"),
            failed_count=Count("runs", filter=Q(runs__status=AutomationRun.Status.FAILED)),
        )
        .order_by("name", "id")
    )


def automation_get(*, tenant: Tenant, automation_id: str | uuid.UUID) -> Automation:
    """One of the tenant's automations by public id; another tenant's is not found, like none."""
    public_id = automation_id if isinstance(automation_id, uuid.UUID) else _uuid(automation_id)
    automation = (
        Automation.objects.filter(tenant=tenant, public_id=public_id)
        .select_related("schema")
        .prefetch_related("schemas")
        .first()
        if public_id
        else None
    )
    if automation is None:
        raise AutomationNotFound()
    return automation


def _uuid(value: str) -> uuid.UUID | None:
    """A malformed id is simply not found (it can't name anything)."""
    return uuid_or_none(value)


def automation_runs(
    *, tenant: Tenant, automation: Automation, filters: AutomationRunFilter | None = None
) -> QuerySet[AutomationRun]:
    """An automation's runs, newest first, with their contacts and attempts; only those matching
    ``filters`` when given (raises InvalidRequest naming a refused filter parameter)."""
    runs = AutomationRun.objects.filter(tenant=tenant, automation=automation)
    if filters is not None:
        runs = filters.apply(runs)
    return (
        runs.select_related("contact")
        .prefetch_related(
            Prefetch("attempts", queryset=RunAttempt.objects.order_by("started_at", "id"))
        )
        .order_by("-created_at", "-id")
    )


def automation_run_get(*, tenant: Tenant, automation: Automation, run_id: str) -> AutomationRun:
    run_uuid = _uuid(run_id)
    run = (
        AutomationRun.objects.filter(tenant=tenant, automation=automation, pk=run_uuid).first()
        if run_uuid
        else None
    )
    if run is None:
        raise AutomationRunNotFound()
    return run


def contact_runs(*, tenant: Tenant, contact: Contact, limit: int = 20) -> list[AutomationRun]:
    """A contact's latest runs with their automations, for the contact card (one query)."""
    return list(
        AutomationRun.objects.filter(tenant=tenant, contact=contact)
        .select_related("automation")
        .order_by("-created_at", "-id")[:limit]
    )


def schemas_by_id(*, tenant: Tenant, schema_ids: list[str]) -> dict[str, InteractionSchema]:
    """The tenant's live schemas among ``schema_ids``, by wire id."""
    return {
        schema.schema_id: schema
        for schema in InteractionSchema.objects.active().filter(
            tenant=tenant, schema_id__in=schema_ids
        )
    }

"""Writes of a segment itself: create, update, deactivate and delete. Creating or changing the rule
checks it against the tenant's schemas and refreshes the membership right after the commit."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from interactions.public import Tenant
from segments.exceptions import InvalidSegment
from segments.models import Segment
from segments.rules.checks import rule_problems
from segments.selectors import segment_catalog


def _check_rule(*, tenant: Tenant, rule: Any) -> None:
    problems = rule_problems(rule, catalog=segment_catalog(tenant=tenant))
    if problems:
        raise InvalidSegment(errors=problems)


def _enqueue_refresh(segment: Segment) -> None:
    # Imported here: the tasks import the membership services, which import this module.
    from segments.tasks import segment_refresh_task

    tenant_id, segment_id = segment.tenant_id, str(segment.pk)
    transaction.on_commit(lambda: segment_refresh_task.delay(tenant_id, segment_id))


@transaction.atomic
def segment_create(
    *,
    tenant: Tenant,
    name: str,
    rule: Any,
    description: str = "",
    refresh_minutes: int | None = None,
) -> Segment:
    """A new segment; its membership is computed right after the commit."""
    _check_rule(tenant=tenant, rule=rule)
    segment = Segment(tenant=tenant, name=name, description=description, rule=rule)
    if refresh_minutes is not None:
        segment.refresh_minutes = refresh_minutes
    segment.full_clean()
    segment.save(force_insert=True)
    _enqueue_refresh(segment)
    return segment


@transaction.atomic
def segment_update(
    *,
    segment: Segment,
    name: str,
    rule: Any,
    description: str = "",
    refresh_minutes: int | None = None,
) -> Segment:
    """Change a segment. A new rule (or one that was deactivated) is checked, the segment is
    active again, and the membership is refreshed right after the commit."""
    _check_rule(tenant=segment.tenant, rule=rule)
    fields = ["name", "description", "updated_at"]
    segment.name, segment.description, segment.updated_at = name, description, timezone.now()
    if refresh_minutes is not None:
        segment.refresh_minutes = refresh_minutes
        fields.append("refresh_minutes")
    rule_changed = rule != segment.rule or not segment.is_active
    if rule_changed:
        segment.rule = rule
        segment.rule_version += 1
        segment.is_active, segment.problem = True, ""
        fields += ["rule", "rule_version", "is_active", "problem"]
    segment.full_clean()
    segment.save(update_fields=fields)
    if rule_changed:
        _enqueue_refresh(segment)
    return segment


def segment_deactivate(*, segment: Segment, problem: str) -> None:
    """Stop refreshing a segment whose rule no longer fits, saying why (until its rule is saved
    again). Runs in the caller's transaction."""
    segment.is_active, segment.problem = False, problem[:300]
    segment.save(update_fields=["is_active", "problem"])


@transaction.atomic
def segment_delete(*, segment: Segment) -> None:
    Segment.objects.filter(tenant_id=segment.tenant_id, pk=segment.pk).delete()

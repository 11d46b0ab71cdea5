"""Segments pages: the builder with its live count, the refresh, and the contact card panel
(the pages about saved segments are in ``segment_views``). Each page calls selectors and
services and hands templates ready data."""

import json
import uuid
from collections.abc import Sequence
from typing import Any

from django.contrib import messages
from django.http import (
    HttpRequest,
    HttpResponse,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from engage_site.replicas import replica_reads
from interactions.public import Contact, Tenant, tenant_page
from segments.builder import rule_preview, segment_builder_choices
from segments.exceptions import InvalidSegment
from segments.forms import SegmentForm
from segments.models import Segment
from segments.rules.checks import rule_problems
from segments.selectors import (
    contact_segments,
    rule_count,
    segment_catalog,
    segment_get,
)
from segments.services.membership import segment_refresh_safely
from segments.services.segments import segment_create, segment_update

EXAMPLE_RULE: dict[str, Any] = {"type": "all", "rules": []}


def _builder(
    request: HttpRequest,
    tenant: Tenant,
    form: SegmentForm,
    segment: Segment | None,
    problems: Sequence[dict[str, str]] = (),
) -> HttpResponse:
    return render(
        request,
        "segments/segment_builder.html",
        {
            "form": form,
            "segment": segment,
            "choices": segment_builder_choices(tenant=tenant),
            "problems": list(problems),
            # The rule as JSON is for those who manage the tenant; marketers use the form.
            "advanced": request.user.has_perm("interactions.change_tenant"),
        },
    )


def _save(request: HttpRequest, tenant: Tenant, segment: Segment | None) -> HttpResponse:
    form = SegmentForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if segment is None:
                segment = segment_create(
                    tenant=tenant,
                    name=data["name"],
                    description=data["description"],
                    rule=data["rule"],
                    refresh_minutes=data["refresh_minutes"],
                )
            else:
                segment = segment_update(
                    segment=segment,
                    name=data["name"],
                    description=data["description"],
                    rule=data["rule"],
                    refresh_minutes=data["refresh_minutes"],
                )
        except InvalidSegment as error:
            form.add_error("rule", "The rule has problems: see the conditions marked below.")
            return _builder(request, tenant, form, segment, [p.as_dict() for p in error.errors])
        else:
            messages.success(request, f"Segment “{segment.name}” saved.")
            return redirect("segment-edit", segment_id=segment.pk)
    return _builder(request, tenant, form, segment)


@tenant_page("segments.add_segment")
def segment_create_page(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    if request.method == "POST":
        return _save(request, tenant, None)
    form = SegmentForm(initial={"rule": json.dumps(EXAMPLE_RULE, indent=2), "refresh_minutes": 60})
    return _builder(request, tenant, form, None)


@tenant_page("segments.change_segment")
def segment_edit_page(request: HttpRequest, tenant: Tenant, segment_id: uuid.UUID) -> HttpResponse:
    segment = segment_get(tenant=tenant, segment_id=segment_id)
    if request.method == "POST":
        return _save(request, tenant, segment)
    return _builder(request, tenant, SegmentForm.for_segment(segment), segment)


@require_POST
@tenant_page("segments.view_segment")
@replica_reads
def segment_live_count_page(request: HttpRequest, tenant: Tenant) -> JsonResponse:
    """The builder's live count: how many contacts a draft rule selects now with the first few
    of them, or, when the draft has problems, those problems (a normal answer while editing, so
    200 either way)."""
    try:
        rule = json.loads(request.body or b"null")
    except ValueError:
        return JsonResponse({"errors": [{"field": "rule", "message": "is not valid JSON"}]})
    catalog = segment_catalog(tenant=tenant)
    problems = rule_problems(rule, catalog=catalog)
    if problems:
        return JsonResponse({"errors": [p.as_dict() for p in problems]})
    return JsonResponse(
        {
            "count": rule_count(tenant=tenant, rule=rule, catalog=catalog),
            "preview": rule_preview(tenant=tenant, rule=rule, catalog=catalog),
        }
    )


@require_POST
@tenant_page("segments.change_segment")
def segment_refresh_page(
    request: HttpRequest, tenant: Tenant, segment_id: uuid.UUID
) -> HttpResponse:
    segment = segment_get(tenant=tenant, segment_id=segment_id)
    count = segment_refresh_safely(segment=segment)
    if count is None:
        segment.refresh_from_db(fields=["refresh_error"])
        messages.error(
            request, f"The refresh failed and will be tried again: {segment.refresh_error}"
        )
    else:
        messages.success(request, f"Refreshed: {count} member{'s' if count != 1 else ''}.")
    return redirect("segment-members", segment_id=segment.pk)


def contact_card_panel_context(
    request: HttpRequest, tenant: Tenant, contact: Contact
) -> dict[str, Any]:
    """The contact card's Segments panel: the segments the contact is in (one query)."""
    return {
        "memberships": contact_segments(tenant=tenant, contact=contact),
        "segments_url": reverse("segment-list"),
    }

"""Segments pages: the list, the builder with its live count, members, the CSV export, and the
contact card panel. Each page calls selectors and services and hands templates ready data."""

import csv
import json
import uuid
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import (
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from engage_site.api.exceptions import InvalidContinuation
from interactions.public import Contact, Tenant, tenant_page
from segments import selectors
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
    segment_member_paginator,
    segment_member_rows,
)
from segments.services.membership import segment_refresh_safely
from segments.services.segments import segment_create, segment_delete, segment_update

MEMBER_PAGE_SIZE = 50
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EXAMPLE_RULE: dict[str, Any] = {"type": "all", "rules": []}


@tenant_page("segments.view_segment")
def segment_list_page(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    return render(
        request,
        "segments/segment_list.html",
        {"segments": list(selectors.segment_list(tenant=tenant))},
    )


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


@require_POST
@tenant_page("segments.delete_segment")
def segment_delete_page(
    request: HttpRequest, tenant: Tenant, segment_id: uuid.UUID
) -> HttpResponse:
    segment = segment_get(tenant=tenant, segment_id=segment_id)
    segment_delete(segment=segment)
    messages.success(request, f"Segment “{segment.name}” deleted.")
    return redirect("segment-list")


@tenant_page("segments.view_segment")
def segment_members_page(
    request: HttpRequest, tenant: Tenant, segment_id: uuid.UUID
) -> HttpResponse:
    """Current members, newest entry first, in keyset pages (a `continuation` in the query)."""
    segment = segment_get(tenant=tenant, segment_id=segment_id)
    token = request.GET.get("continuation", "")
    try:
        page = segment_member_paginator(tenant=tenant, segment=segment, size=MEMBER_PAGE_SIZE).page(
            token
        )
    except InvalidContinuation:
        return render(
            request,
            "interactions/bad_request.html",
            {
                "title": "Invalid page link",
                "message": "This page link is not valid for this segment.",
                "back_url": reverse("segment-members", args=[segment.pk]),
                "back_label": "First page of members",
            },
            status=400,
        )
    next_url = "?" + urlencode({"continuation": page.next_token}) if page.next_token else ""
    return render(
        request,
        "segments/segment_members.html",
        {"segment": segment, "rows": page.items, "next_url": next_url, "first_page": not token},
    )


class _Echo:
    """A file-like object whose write returns what it was given (for csv.writer)."""

    def write(self, value: str) -> str:
        return value


def csv_cell(value: Any) -> str:
    """A cell safe to open in a spreadsheet: text that starts like a formula gets a quote first."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _csv_lines(rows: Iterator[Sequence[Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(
        ["contactId", "contactType", "email", "firstName", "lastName", "enteredAt"]
    )
    for contact_id, contact_type, email, first, last, entered in rows:
        yield writer.writerow(
            [
                str(contact_id),
                *(csv_cell(v) for v in (contact_type, email, first, last)),
                entered.isoformat(),
            ]
        )


# tenant_page is typed for HttpResponse; a streaming response passes through it unchanged.
@tenant_page("segments.view_segment")  # type: ignore[arg-type]
def segment_export_page(
    request: HttpRequest, tenant: Tenant, segment_id: uuid.UUID
) -> StreamingHttpResponse:
    """The current members as CSV, streamed row by row from a server-side cursor."""
    segment = segment_get(tenant=tenant, segment_id=segment_id)
    response = StreamingHttpResponse(
        _csv_lines(segment_member_rows(tenant=tenant, segment=segment)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="segment-{segment.pk}.csv"'
    return response


def contact_card_panel_context(
    request: HttpRequest, tenant: Tenant, contact: Contact
) -> dict[str, Any]:
    """The contact card's Segments panel: the segments the contact is in (one query)."""
    return {
        "memberships": contact_segments(tenant=tenant, contact=contact),
        "segments_url": reverse("segment-list"),
    }

"""Pages about saved segments: the list, the segment page (size over time, recent entries and
exits, members in pages that say where they are), the CSV export, and the delete confirmation."""

import csv
import uuid
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.text import slugify

from engage_site.api.exceptions import InvalidContinuation
from engage_site.replicas import replica_reads
from interactions.public import Tenant, tenant_page
from segments import selectors
from segments.history import HISTORY_SPANS, RECENT_DAYS, segment_overview, segment_uses, tenant_zone
from segments.models import Segment
from segments.selectors import segment_get, segment_member_rows
from segments.services.segments import segment_delete

MEMBER_PAGE_SIZE = 25
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@tenant_page("segments.view_segment")
@replica_reads
def segment_list_page(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    return render(
        request,
        "segments/segment_list.html",
        {"segments": list(selectors.segment_list(tenant=tenant))},
    )


def _span(request: HttpRequest) -> int:
    """The chart's span asked for in ``?days=``, or the first of the offered spans."""
    asked = request.GET.get("days", "")
    return int(asked) if asked.isdigit() and int(asked) in HISTORY_SPANS else HISTORY_SPANS[0]


@tenant_page("segments.view_segment")
@replica_reads
def segment_detail_page(
    request: HttpRequest, tenant: Tenant, segment_id: uuid.UUID
) -> HttpResponse:
    """The segment page: its size over time, entries and exits of the last days, and its current
    members, newest entry first, in keyset pages (a ``continuation`` in the query)."""
    span = _span(request)
    token = request.GET.get("continuation", "")
    try:
        overview = segment_overview(
            tenant=tenant, segment_id=segment_id, span=span, token=token, page_size=MEMBER_PAGE_SIZE
        )
    except InvalidContinuation:
        return render(
            request,
            "interactions/bad_request.html",
            {
                "title": "Invalid page link",
                "message": "This page link is not valid for this segment.",
                "back_url": reverse("segment-members", args=[segment_id]),
                "back_label": "First page of members",
            },
            status=400,
        )
    next_token = overview.members.next_token
    keep_span = {"days": str(span)} if span != HISTORY_SPANS[0] else {}
    return render(
        request,
        "segments/segment_page.html",
        {
            "overview": overview,
            "segment": overview.segment,
            "recent_days": RECENT_DAYS,
            "spans": [
                (days, "?" + urlencode({"days": days}) if days != HISTORY_SPANS[0] else "?")
                for days in HISTORY_SPANS
            ],
            "first_page": not token,
            "first_url": "?" + urlencode(keep_span) if keep_span else "?",
            "next_url": "?" + urlencode({**keep_span, "continuation": next_token})
            if next_token
            else "",
        },
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


def segment_csv_filename(segment: Segment, tenant: Tenant) -> str:
    """Like ``vip-customers-2026-11-30.csv``: the segment's name as a slug (letters of any
    script kept, so the header adds an RFC 5987 ``filename*`` for them) and the tenant's date."""
    name = slugify(segment.name, allow_unicode=True) or "segment"
    day = timezone.localtime(timezone.now(), tenant_zone(tenant)).date()
    return f"{name}-{day.isoformat()}.csv"


# tenant_page is typed for HttpResponse; a streaming response passes through it unchanged.
@tenant_page("segments.view_segment")
@replica_reads  # type: ignore[arg-type]
def segment_export_page(
    request: HttpRequest, tenant: Tenant, segment_id: uuid.UUID
) -> StreamingHttpResponse:
    """The current members as CSV, streamed row by row from a server-side cursor."""
    segment = segment_get(tenant=tenant, segment_id=segment_id)
    response = StreamingHttpResponse(
        _csv_lines(segment_member_rows(tenant=tenant, segment=segment)),
        content_type="text/csv; charset=utf-8",
    )
    filename = segment_csv_filename(segment, tenant)
    response["Content-Disposition"] = (
        content_disposition_header(as_attachment=True, filename=filename) or "attachment"
    )
    return response


@tenant_page("segments.delete_segment")
def segment_delete_page(
    request: HttpRequest, tenant: Tenant, segment_id: uuid.UUID
) -> HttpResponse:
    """Asks before deleting, saying what uses the segment; only a POST from that question (it
    carries ``confirm``) deletes, so an older one-click form also lands on the question. Staff
    whose role may not delete segments (Marketers) are refused both."""
    segment = segment_get(tenant=tenant, segment_id=segment_id)
    if request.method == "POST" and request.POST.get("confirm") == "delete":
        segment_delete(segment=segment)
        messages.success(request, f"Segment “{segment.name}” deleted.")
        return redirect("segment-list")
    return render(
        request,
        "segments/segment_delete.html",
        {"segment": segment, "uses": segment_uses(tenant=tenant, segment=segment)},
    )

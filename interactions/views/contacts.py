"""The contact pages: a searchable list, and the contact card with its Overview and Interactions
tabs. Each calls the reads in ``interactions.selectors`` and hands the templates ready data."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString

from engage_site.api.exceptions import InvalidContinuation
from engage_site.replicas import replica_reads
from interactions.extensions import contact_card_panels
from interactions.models import Contact, Tenant
from interactions.schema_validation import is_schema_id
from interactions.selectors import contact_activity, contact_card_data, contact_search
from interactions.selectors.contact_card import ContactCard
from interactions.selectors.contacts import ContactActivity
from interactions.selectors.products import contact_products
from interactions.views.access import tenant_page

LIST_PAGE_SIZE = 25
CARD_PAGE_SIZE = 25
MAX_QUERY_LENGTH = 200
OVERVIEW, INTERACTIONS = "overview", "interactions"


@dataclass(frozen=True)
class ContactRow:
    contact: Contact
    activity: ContactActivity


@tenant_page("interactions.view_contact")
@replica_reads
def contact_list_page(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    """The tenant's contacts, newest first, searchable by name, email, contact id or external id;
    three queries a page (count, page, and the page's activity figures)."""
    query = request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]
    paginator = Paginator(contact_search(tenant=tenant, query=query), LIST_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    contacts = list(page.object_list)
    activity = contact_activity(tenant=tenant, contact_ids=[contact.pk for contact in contacts])
    rows = [
        ContactRow(contact, activity.get(contact.pk, ContactActivity())) for contact in contacts
    ]

    def page_url(number: int) -> str:
        return "?" + urlencode({**({"q": query} if query else {}), "page": number})

    return render(
        request,
        "interactions/contact_list.html",
        {
            "query": query,
            "page": page,
            "rows": rows,
            "previous_url": page_url(page.previous_page_number()) if page.has_previous() else "",
            "next_url": page_url(page.next_page_number()) if page.has_next() else "",
        },
    )


class CardFilters(forms.Form):
    """The card's query string: the tab, the filters of the chart and rows, and the page."""

    tab = forms.ChoiceField(
        choices=[(OVERVIEW, "Overview"), (INTERACTIONS, "Interactions")], required=False
    )
    schema = forms.CharField(required=False, max_length=64)
    since = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    until = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    continuation = forms.CharField(required=False, max_length=2000)

    def clean_schema(self) -> str | None:
        schema: str = self.cleaned_data.get("schema") or ""
        if schema and not is_schema_id(schema):
            raise forms.ValidationError("No interaction schema has this id.")
        return schema or None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            raise forms.ValidationError("The start of the date range is after its end.")
        return cleaned


@tenant_page("interactions.view_contact")
@replica_reads
def contact_card_page(request: HttpRequest, tenant: Tenant, contact_id: uuid.UUID) -> HttpResponse:
    """One contact: its attributes, the products its interactions name and other apps' panels
    (Overview), and its interactions with a per-schema summary, a chart and filtered keyset pages
    (Interactions).

    Costs the same number of queries whatever the contact's history. Another tenant's contact is
    a 404; a continuation that is not this listing's, or bad filters, a 400 page.
    """
    filters = CardFilters(request.GET)
    valid = filters.is_valid()
    cleaned: dict[str, Any] = filters.cleaned_data if valid else {}
    tab = cleaned.get("tab") or (INTERACTIONS if not valid else OVERVIEW)
    schema_id: str | None = cleaned.get("schema")
    since: date | None = cleaned.get("since")
    until: date | None = cleaned.get("until")
    try:
        card = contact_card_data(
            tenant=tenant,
            contact_id=contact_id,
            schema_id=schema_id,
            since=since,
            until=until,
            continuation=cleaned.get("continuation") or None,
            page_size=CARD_PAGE_SIZE,
        )
    except InvalidContinuation:
        return render(
            request,
            "interactions/bad_request.html",
            {
                "title": "This page link is no longer valid",
                "message": (
                    "The link to this page of interactions was altered or belongs to other "
                    "filters. Start again from the newest interactions."
                ),
                "back_url": reverse("contact-card", args=[contact_id])
                + "?"
                + urlencode(_filter_query(schema_id, since, until)),
                "back_label": "Newest interactions",
            },
            status=400,
        )

    card_url = reverse("contact-card", args=[contact_id])
    filter_query = _filter_query(card.schema_id, card.since, card.until)
    context = {
        "tenant": tenant,
        "card": card,
        "contact": card.contact,
        "tab": tab,
        "filters": filters,
        "filter_errors": [] if valid else _errors(filters),
        "card_url": card_url,
        "overview_url": card_url,
        "interactions_url": f"{card_url}?tab={INTERACTIONS}",
        "first_page_url": "?" + urlencode(filter_query),
        "next_page_url": (
            "?" + urlencode({**filter_query, "continuation": card.next_continuation})
            if card.next_continuation
            else ""
        ),
        "ranges": _date_ranges(card, schema_id=card.schema_id),
        "is_filtered": bool(card.schema_id or card.since or card.until),
        "schema_filter_name": next(
            (item.display_name for item in card.summary if item.schema_id == card.schema_id), ""
        ),
        "attributes": _attributes(card.contact),
        "products": (
            contact_products(tenant=tenant, contact_id=card.contact.pk, kinds=card.summary)
            if tab == OVERVIEW
            else []
        ),
        "panels": _panels(request, tenant, card.contact) if tab == OVERVIEW else [],
    }
    return render(request, "interactions/contact_card.html", context, status=200 if valid else 400)


def _filter_query(schema_id: str | None, since: date | None, until: date | None) -> dict[str, str]:
    query = {"tab": INTERACTIONS}
    if schema_id:
        query["schema"] = schema_id
    if since:
        query["since"] = since.isoformat()
    if until:
        query["until"] = until.isoformat()
    return query


def _errors(form: forms.Form) -> list[str]:
    return [str(message) for messages in form.errors.values() for message in messages]


@dataclass(frozen=True)
class DateRange:
    label: str
    url: str
    is_current: bool


def _date_ranges(card: ContactCard, *, schema_id: str | None) -> list[DateRange]:
    """Quick choices for the chart's and the rows' date range, in the tenant's time zone."""
    today = datetime.now(card.timezone).date()
    choices: list[tuple[str, date | None, date | None]] = [
        ("All time", None, None),
        ("Last 30 days", today - timedelta(days=29), today),
        ("Last 12 months", _one_year_before(today) + timedelta(days=1), today),
        ("This year", today.replace(month=1, day=1), today),
    ]
    return [
        DateRange(
            label=label,
            url="?" + urlencode(_filter_query(schema_id, since, until)),
            is_current=(since, until) == (card.since, card.until),
        )
        for label, since, until in choices
    ]


def _one_year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


@dataclass(frozen=True)
class Attribute:
    label: str
    value: str


def _attributes(contact: Contact) -> list[Attribute]:
    """The contact's named attributes, then its custom ones by name (times are the template's)."""
    named = [
        Attribute("First name", contact.first_name),
        Attribute("Last name", contact.last_name),
        Attribute("Email", contact.email),
        Attribute("Mobile phone", contact.mobile_phone),
        Attribute("External id", contact.external_id),
        Attribute("Contact type", contact.contact_type),
        Attribute("Contact id", str(contact.pk)),
    ]
    extra = contact.extra_attributes if isinstance(contact.extra_attributes, dict) else {}
    custom = [
        Attribute(str(name), "" if value is None else str(value))
        for name, value in sorted(extra.items(), key=lambda item: str(item[0]).casefold())
    ]
    return named + custom


@dataclass(frozen=True)
class RenderedPanel:
    title: str
    html: SafeString


def _panels(request: HttpRequest, tenant: Tenant, contact: Contact) -> list[RenderedPanel]:
    """Every registered panel (``interactions.extensions``), rendered with its own context."""
    return [
        RenderedPanel(
            title=panel.title,
            html=render_to_string(
                panel.template_name,
                {**panel.context(request, tenant, contact), "tenant": tenant, "contact": contact},
                request=request,
            ),
        )
        for panel in contact_card_panels()
    ]

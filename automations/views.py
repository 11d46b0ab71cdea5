"""Automation pages: the list, the editor, the run log (with retry), and the contact card panel."""

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from automations.filters import AutomationRunFilter
from automations.forms import AutomationForm
from automations.models import Automation, AutomationRun
from automations.selectors import (
    automation_get,
    automation_list,
    automation_run_get,
    automation_runs,
    contact_runs,
)
from automations.services.automations import (
    automation_create,
    automation_secret_rotate,
    automation_update,
)
from automations.services.runs import automation_run_retry, automation_webhook_test
from automations.services.webhooks import signing_keys
from engage_site.api.exceptions import InvalidRequest
from interactions.public import Contact, Tenant, tenant_page

RUN_PAGE_SIZE = 50
FILTER_LABELS = {"status": "status", "contactId": "contact"}


@tenant_page("automations.view_automation")
def automation_list_page(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    return render(
        request, "automations/automation_list.html", {"automations": automation_list(tenant=tenant)}
    )


def _save(
    request: HttpRequest, tenant: Tenant, form: AutomationForm, automation: Automation | None
) -> Automation | None:
    """Create or update from a valid form; None (with the problems on the form) if refused."""
    fields, schemas = form.service_fields()
    try:
        if automation is None:
            return automation_create(tenant=tenant, schemas=schemas, **fields)
        return automation_update(automation=automation, schemas=schemas, **fields)
    except InvalidRequest as refused:
        form.show_refusal(refused)
        return None


@tenant_page("automations.add_automation")
def automation_create_page(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    form = AutomationForm(request.POST if request.method == "POST" else None, tenant=tenant)
    if request.method == "POST" and form.is_valid():
        automation = _save(request, tenant, form, None)
        if automation is not None:
            messages.success(request, f"Automation “{automation.name}” created.")
            return redirect("automation-edit", automation.public_id)
    return render(request, "automations/automation_form.html", {"form": form, "automation": None})


@tenant_page("automations.change_automation")
def automation_edit_page(request: HttpRequest, tenant: Tenant, automation_id: str) -> HttpResponse:
    automation = automation_get(tenant=tenant, automation_id=automation_id)
    posted = request.POST if request.method == "POST" else None
    form = AutomationForm(posted, tenant=tenant, automation=automation)
    if posted is not None and form.is_valid() and _save(request, tenant, form, automation):
        messages.success(request, "Saved.")
        return redirect("automation-edit", automation.public_id)
    webhooks = [action["url"] for action in automation.actions if action.get("type") == "webhook"]
    in_grace = signing_keys(automation).previous is not None
    return render(
        request,
        "automations/automation_form.html",
        {
            "form": form,
            "automation": automation,
            "webhook_urls": webhooks,
            "previous_secret_until": (
                automation.previous_webhook_secret_expires_at if in_grace else None
            ),
        },
    )


@require_POST
@tenant_page("automations.change_automation")
def automation_secret_rotate_page(
    request: HttpRequest, tenant: Tenant, automation_id: str
) -> HttpResponse:
    automation = automation_get(tenant=tenant, automation_id=automation_id)
    rotated = automation_secret_rotate(automation=automation)
    if rotated.previous_expires_at is None:
        messages.success(request, "A new signing secret is in use from now on.")
    else:
        messages.success(
            request,
            "A new signing secret is in use from now on; deliveries also carry the previous "
            f"secret's signature until {rotated.previous_expires_at:%Y-%m-%d %H:%M} UTC.",
        )
    return redirect("automation-edit", automation.public_id)


@require_POST
@tenant_page("automations.change_automation")
def automation_webhook_test_page(
    request: HttpRequest, tenant: Tenant, automation_id: str
) -> HttpResponse:
    automation = automation_get(tenant=tenant, automation_id=automation_id)
    url = request.POST.get("url", "")
    if url not in [action.get("url") for action in automation.actions]:
        raise Http404("This automation has no such webhook.")
    error = automation_webhook_test(tenant=tenant, automation=automation, url=url)
    if error:
        messages.error(request, f"The test to {url} failed: {error}")
    else:
        messages.success(request, f"The test to {url} was delivered.")
    return redirect("automation-edit", automation.public_id)


@tenant_page("automations.view_automation")
def automation_run_list_page(
    request: HttpRequest, tenant: Tenant, automation_id: str
) -> HttpResponse:
    automation = automation_get(tenant=tenant, automation_id=automation_id)
    filters = AutomationRunFilter(request.GET)
    try:
        runs = automation_runs(tenant=tenant, automation=automation, filters=filters)
        query = filters.query()
        refused = []
    except InvalidRequest as invalid:
        runs = automation_runs(tenant=tenant, automation=automation)
        query = {}
        refused = [
            f"The {FILTER_LABELS.get(problem.field, problem.field)} filter {problem.message}; "
            "showing every run."
            for problem in invalid.errors
        ]
    page = Paginator(runs, RUN_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "automations/automation_runs.html",
        {
            "automation": automation,
            "page": page,
            "runs": list(page.object_list),
            "status_choices": AutomationRun.Status.choices,
            "statuses": query.get("status", "").split(","),
            "contact_id": query.get("contactId", ""),
            "filter_query": urlencode(query),  # carried by the pager links
            "filter_refused": refused,
        },
    )


@require_POST
@tenant_page("automations.change_automationrun")
def automation_run_retry_page(
    request: HttpRequest, tenant: Tenant, automation_id: str, run_id: str
) -> HttpResponse:
    automation = automation_get(tenant=tenant, automation_id=automation_id)
    run = automation_run_get(tenant=tenant, automation=automation, run_id=run_id)
    automation_run_retry(run=run)
    messages.success(request, "The run will be tried again.")
    return redirect("automation-runs", automation.public_id)


def contact_card_panel_context(
    request: HttpRequest, tenant: Tenant, contact: Contact
) -> dict[str, Any]:
    """The contact card's Automations panel: the contact's latest runs (one query)."""
    return {"runs": contact_runs(tenant=tenant, contact=contact)}

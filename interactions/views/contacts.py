from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from interactions.models import Tenant
from interactions.views.access import tenant_page


@tenant_page("interactions.view_contact")
def contact_list(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    return render(request, "interactions/contact_list.html", {})


@tenant_page("interactions.view_contact")
def contact_card(request: HttpRequest, tenant: Tenant, contact_id: str) -> HttpResponse:
    return render(request, "interactions/contact_card.html", {})

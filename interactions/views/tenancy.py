from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from engage_site.db import one_or_none
from interactions.models import Tenant
from interactions.tenancy import tenant_switch


@require_POST
@staff_member_required
def tenant_switch_view(request: HttpRequest) -> HttpResponse:
    """A superuser chooses the tenant to act for; everyone else is refused."""
    if not request.user.is_superuser:
        raise Http404()
    tenant = one_or_none(Tenant.objects.filter(pk=request.POST.get("tenant") or 0))
    if tenant is None:
        raise Http404("No such tenant.")
    tenant_switch(request=request, tenant=tenant)
    target = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    return HttpResponseRedirect(target)

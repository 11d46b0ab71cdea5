"""Which tenant a signed-in staff user is working for, on every page and in the admin, and the
superuser's tenant switcher."""

from collections.abc import Callable
from typing import Any

from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from engage_site.db import one_or_none
from interactions.display import display_for, display_override
from interactions.models import StaffAccount, Tenant

SESSION_KEY = "acting_tenant_id"


def tenant_for_user(user: Any, session: Any) -> Tenant | None:
    """A staff user's tenant; for a superuser, the one chosen in the switcher (or the first)."""
    if not user.is_authenticated or not user.is_active or not user.is_staff:
        return None
    if user.is_superuser:
        chosen = session.get(SESSION_KEY)
        tenant = one_or_none(Tenant.objects.filter(pk=chosen)) if chosen else None
        return tenant or Tenant.objects.order_by("slug").first()
    account = one_or_none(StaffAccount.objects.select_related("tenant").filter(user=user))
    return account.tenant if account else None


def tenant_switch(*, request: HttpRequest, tenant: Tenant) -> None:
    """Make a superuser act for ``tenant`` from now on in this session."""
    request.session[SESSION_KEY] = tenant.pk


def current_tenant(request: HttpRequest) -> Tenant | None:
    """The tenant the signed-in staff user acts for (None for anyone else); read once a request."""
    if not hasattr(request, "_acting_tenant"):
        request._acting_tenant = tenant_for_user(request.user, request.session)  # type: ignore[attr-defined]
    tenant: Tenant | None = request._acting_tenant  # type: ignore[attr-defined]
    return tenant


class TenantTimezoneMiddleware:
    """Shows times on staff pages and in the admin in the acting tenant's time zone, and dates,
    times and numbers in its locale (``interactions.display``).

    The API is left alone: it always answers in UTC.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenant = None if request.path.startswith("/api/") else current_tenant(request)
        if tenant is None:
            return self.get_response(request)
        display = display_for(timezone=tenant.timezone, locale=tenant.locale)
        with timezone.override(display.zone), display_override(display):
            return self.get_response(request)


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

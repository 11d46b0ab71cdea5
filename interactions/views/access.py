"""Access to staff pages: signed in, attached to a tenant, and with the role's permission."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from engage_site.api.exceptions import ApiError
from interactions.models import Tenant
from interactions.views.tenancy import current_tenant

View = Callable[..., HttpResponse]


def tenant_page(permission: str) -> Callable[[View], View]:
    """Decorate a page view taking ``(request, tenant, ...)``: signed-in staff of a tenant whose
    role has ``permission`` (e.g. "interactions.view_contact"); others are refused. A domain
    not-found error raised by the view (``ContactNotFound``, ``SegmentNotFound``…) is a 404 page."""

    def decorate(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            tenant: Tenant | None = current_tenant(request)
            if tenant is None or not request.user.has_perm(permission):
                raise PermissionDenied("Your account has no access to this page.")
            try:
                return view(request, tenant, *args, **kwargs)
            except ApiError as error:
                # A selector's not-found (also for another tenant's id) is the page's 404.
                if error.status_code == 404:
                    raise Http404(error.message) from None
                raise

        return wrapper

    return decorate

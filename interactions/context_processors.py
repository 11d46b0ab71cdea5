from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from interactions.extensions import navigation_links
from interactions.models import Tenant
from interactions.views.tenancy import current_tenant


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The top navigation's links that the signed-in user may follow (apps add theirs)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"navigation": ()}
    return {
        "navigation": [
            (link.label, reverse(link.url_name))
            for link in navigation_links()
            if user.has_perm(link.permission)
        ]
    }


def tenancy(request: HttpRequest) -> dict[str, Any]:
    """The acting tenant for every template, and for superusers the tenants they may switch to."""
    user = getattr(request, "user", None)
    is_superuser = bool(user is not None and user.is_authenticated and user.is_superuser)
    return {
        "acting_tenant": current_tenant(request) if user is not None else None,
        "switchable_tenants": Tenant.objects.order_by("slug") if is_superuser else (),
    }

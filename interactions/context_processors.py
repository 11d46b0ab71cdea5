from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from interactions.models import Tenant
from interactions.registry import navigation_links
from interactions.tenancy import current_tenant


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The top navigation's links that the signed-in user may follow (apps add theirs)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"navigation": ()}
    return {
        "navigation": [
            (label, reverse(url_name))
            for label, url_name, permission in navigation_links
            if user.has_perm(permission)
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

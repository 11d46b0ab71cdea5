from typing import Any

from django.http import HttpRequest

from interactions.models import Tenant
from interactions.tenancy import current_tenant


def tenancy(request: HttpRequest) -> dict[str, Any]:
    """The acting tenant for every template, and for superusers the tenants they may switch to."""
    user = getattr(request, "user", None)
    is_superuser = bool(user is not None and user.is_authenticated and user.is_superuser)
    return {
        "acting_tenant": current_tenant(request) if user is not None else None,
        "switchable_tenants": Tenant.objects.order_by("slug") if is_superuser else (),
    }

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from interactions.models import ApiKey


class HasTenant(BasePermission):
    """Only requests authenticated by an API key, and so bound to a tenant, get through."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.auth, ApiKey)

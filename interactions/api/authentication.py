"""API key authentication: the key names the tenant, and every API view works for that tenant."""

from typing import Any

from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from interactions.models import ApiKey
from interactions.selectors import api_key_authenticate

# In order of preference: the Engage header, the common alternative, generated clients' bearer.
_KEY_HEADERS = ("HTTP_APIKEY", "HTTP_X_API_KEY")


def presented_key(request: Request) -> str | None:
    for header in _KEY_HEADERS:
        value = request.META.get(header, "").strip()
        if value:
            return str(value)
    scheme, _, credentials = request.META.get("HTTP_AUTHORIZATION", "").strip().partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return None


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[None, Any] | None:
        key = presented_key(request)
        if key is None:
            return None
        api_key = api_key_authenticate(key=key)
        if api_key is None:
            raise AuthenticationFailed("The API key is unknown or revoked.")
        request._request.tenant = api_key.tenant  # type: ignore[attr-defined]
        return (None, api_key)

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class HasTenant(BasePermission):
    """Only requests authenticated by an API key, and so bound to a tenant, get through."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.auth, ApiKey)

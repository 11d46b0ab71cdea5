"""The base class of every tenant API view: the API key names the tenant the view works for."""

from typing import Any

from rest_framework.request import Request

from engage_site.api.exceptions import InvalidRequest
from engage_site.api.problems import Problem
from engage_site.api.views import JsonApiView
from interactions.api.authentication import ApiKeyAuthentication, HasTenant
from interactions.api.throttling import ApiKeyRateThrottle
from interactions.models import ApiKey, Tenant
from interactions.services.idempotency import (
    MAX_KEY_LENGTH,
    IdempotencyGuard,
    request_fingerprint,
)
from interactions.services.tenants import api_key_mark_used


class TenantApiView(JsonApiView):
    """An API view for the tenant the API key names: 401 without a valid key, 429 over its rate."""

    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [HasTenant]
    throttle_classes = [ApiKeyRateThrottle]

    @property
    def api_key(self) -> ApiKey:
        api_key = self.request.auth
        assert isinstance(api_key, ApiKey)  # noqa: S101 - HasTenant guarantees it
        return api_key

    @property
    def tenant(self) -> Tenant:
        return self.api_key.tenant

    def caller_admitted(self, request: Request) -> None:
        api_key_mark_used(api_key=self.api_key)

    def idempotency_guard(self, document: Any) -> IdempotencyGuard:
        """Guard for a POST that honours the Idempotency-Key header (a no-op without it)."""
        key = self.request.META.get("HTTP_IDEMPOTENCY_KEY", "").strip()
        if len(key) >= 2 and key[0] == key[-1] == '"':
            key = key[1:-1]  # a structured-field string, as the draft spells it
        if any(ord(character) < 32 or ord(character) == 127 for character in key):
            raise InvalidRequest(
                errors=[
                    Problem("Idempotency-Key", "invalid", "must not contain control characters")
                ]
            )
        if len(key) > MAX_KEY_LENGTH:
            raise InvalidRequest(
                errors=[
                    Problem(
                        "Idempotency-Key", "limit", f"must be at most {MAX_KEY_LENGTH} characters"
                    )
                ]
            )
        if not key:
            return IdempotencyGuard(tenant=self.tenant, key=None, fingerprint="")
        match = self.request.resolver_match
        route = match.url_name if match else self.request.path
        return IdempotencyGuard(
            tenant=self.tenant,
            key=key,
            fingerprint=request_fingerprint(
                method=str(self.request.method), route=str(route), document=document
            ),
        )

"""The base class of every tenant API view: authentication, limits and body rules in one place."""

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from engage_site.api.authentication import ApiKeyAuthentication
from engage_site.api.exceptions import InvalidRequest, PayloadTooLarge, UnsupportedMediaType
from engage_site.api.parsers import StrictJSONParser, loads_strict
from engage_site.api.permissions import HasTenant
from engage_site.api.throttling import ApiKeyRateThrottle
from interactions.models import ApiKey, Tenant
from interactions.schema_validation import Problem
from interactions.services.idempotency import (
    MAX_KEY_LENGTH,
    IdempotencyGuard,
    request_fingerprint,
)
from interactions.services.tenants import api_key_mark_used

_BODY_METHODS = ("POST", "PUT", "PATCH")


class JsonOnlyNegotiation(BaseContentNegotiation):
    """Always JSON, whatever Accept says: clients that send Accept: */* or text/plain still work."""

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> BaseParser | None:
        return next(iter(parsers), None)

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, str(renderer.media_type)


def _is_json_media_type(content_type: str) -> bool:
    return content_type == "application/json" or (
        content_type.startswith("application/") and content_type.endswith("+json")
    )


class TenantApiView(APIView):
    """An API view for the tenant the API key names.

    Order of checks, as the wire contract ranks them: 401 (key), 429 (rate), 415 (media type),
    413 (size), then 400 for a body that is not JSON (``json_body``).
    """

    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [HasTenant]
    throttle_classes = [ApiKeyRateThrottle]
    parser_classes = [StrictJSONParser]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JsonOnlyNegotiation

    @property
    def api_key(self) -> ApiKey:
        api_key = self.request.auth
        assert isinstance(api_key, ApiKey)  # noqa: S101 - HasTenant guarantees it
        return api_key

    @property
    def tenant(self) -> Tenant:
        return self.api_key.tenant

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        api_key_mark_used(api_key=self.api_key)
        if request.method in _BODY_METHODS and hasattr(self, str(request.method).lower()):
            if not _is_json_media_type(request._request.content_type or ""):
                raise UnsupportedMediaType()
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > settings.API_MAX_BODY_BYTES:
                raise PayloadTooLarge(
                    f"The request body must be at most {settings.API_MAX_BODY_BYTES} bytes."
                )

    def json_body(self) -> Any:
        """The request body as strictly parsed JSON (400 InvalidJson otherwise)."""
        return loads_strict(self.request.body)

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

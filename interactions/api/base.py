"""The base class of every tenant API view: the API key names the tenant the view works for."""

import json
from collections.abc import Callable, Mapping
from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from engage_site.api.exceptions import InvalidRequest
from engage_site.api.problems import Problem
from engage_site.api.views import JsonApiView
from interactions.api.authentication import ApiKeyAuthentication, HasTenant
from interactions.api.throttling import ApiKeyRateThrottle
from interactions.models import ApiKey, Tenant
from interactions.services.idempotency import (
    MAX_KEY_LENGTH,
    idempotent_write,
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

    def idempotent_write(
        self,
        document: Any,
        *,
        write: Callable[[], Any],
        status: int = 200,
        present: Callable[[Any], tuple[Any, Mapping[str, str]]] | None = None,
    ) -> Response:
        """Answer a POST by running ``write`` (which returns the response body) at most once per
        Idempotency-Key, in one transaction with the stored response.

        ``document`` is the parsed request body: with the method and the route it is what a
        retry must repeat to get the stored response back. Without the header ``write`` just runs
        in a transaction. See :func:`interactions.services.idempotency.idempotent_write`.

        ``present``, when given, turns what ``write`` returned (and the record stored) into the
        response's body and headers. It runs for the first answer and for every replay alike, so
        a replay carries the headers the first answer had.
        """
        key = self._idempotency_key()
        fingerprint = ""
        if key:
            fingerprint = request_fingerprint(
                method=str(self.request.method), route=self._route(), document=document
            )
        response = idempotent_write(
            tenant=self.tenant, key=key, fingerprint=fingerprint, write=write, status=status
        )
        if present is None:
            return Response(response.body, status=response.status)
        body, headers = present(response.body)
        return Response(body, status=response.status, headers=dict(headers))

    def _route(self) -> str:
        """The route's name and the ids in its path, the same under /api/v2/ and /api/v3/."""
        match = self.request.resolver_match
        if match is None:
            return self.request.path
        ids = {name: value for name, value in match.kwargs.items() if name != "version"}
        # A route without ids in its path is named alone, as fingerprints have always named it.
        return f"{match.url_name} {json.dumps(ids, sort_keys=True)}" if ids else str(match.url_name)

    def _idempotency_key(self) -> str | None:
        """The Idempotency-Key header, or None without one; 400 for a key that can't be one."""
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
        return key or None

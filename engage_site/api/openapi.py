"""How drf-spectacular documents the API: operation ids per version, id path segments as UUIDs,
and request bodies as required as the views make them."""

import re
from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ComponentRegistry, build_basic_type
from drf_spectacular.types import OpenApiTypes

from engage_site.api.ids import UUID_SEGMENT

_UUID_SEGMENT = re.compile(rf"<{UUID_SEGMENT}:(\w+)>")


class VersionedAutoSchema(AutoSchema):
    """Operation ids as written for /api/v2/; the same operation under /api/v3/ gets a v3_ prefix,
    so generated clients keep the v2 names."""

    def get_operation(
        self,
        path: str,
        path_regex: str,
        path_prefix: str,
        method: str,
        registry: ComponentRegistry,
    ) -> dict[str, Any] | None:
        # Prefixed here rather than in get_operation_id: @extend_schema(operation_id=...) subclasses
        # this schema and answers get_operation_id itself, so an override there is never reached
        # for views that name their operations.
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is not None and path.startswith("/api/v3/"):
            operation["operationId"] = f"v3_{operation['operationId']}"
        return operation

    def _resolve_path_parameters(self, variables: list[str]) -> list[dict[str, Any]]:
        # A UUID segment matches any text (so the view, not the router, answers a malformed id),
        # but only a UUID names anything: that is what the document says.
        parameters: list[dict[str, Any]] = super()._resolve_path_parameters(variables)  # type: ignore[no-untyped-call]
        uuid_names = set(_UUID_SEGMENT.findall(self.path_regex))
        for parameter in parameters:
            if parameter["name"] in uuid_names:
                parameter["schema"] = build_basic_type(OpenApiTypes.UUID)
        return parameters

    def _get_request_body(self, direction: str = "request") -> dict[str, Any] | None:
        # Every view with a body parses it as one JSON document, and an absent body is not one
        # (400 InvalidJson), even when each of its fields is optional. A request serializer
        # without fields marks a body the view does not read.
        body: dict[str, Any] | None = super()._get_request_body(direction)  # type: ignore[no-untyped-call]
        if body is not None and getattr(self.get_request_serializer(), "fields", None):
            body["required"] = True
        return body

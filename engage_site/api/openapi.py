"""How drf-spectacular names operations: one operation id per route and version."""

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ComponentRegistry


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

"""How drf-spectacular names operations: one operation id per route and version."""

from drf_spectacular.openapi import AutoSchema


class VersionedAutoSchema(AutoSchema):
    """Operation ids as written for /api/v2/; the same operation under /api/v3/ gets a v3_ prefix,
    so generated clients keep the v2 names."""

    def get_operation_id(self) -> str:
        operation_id = str(super().get_operation_id())
        return f"v3_{operation_id}" if self.path.startswith("/api/v3/") else operation_id

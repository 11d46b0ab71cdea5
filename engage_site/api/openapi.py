"""How drf-spectacular documents the API: three ways to send one key, one operation id each."""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema


class VersionedAutoSchema(AutoSchema):
    """Operation ids as written for /api/v2/; the same operation under /api/v3/ gets a v3_ prefix,
    so generated clients keep the v2 names."""

    def get_operation_id(self) -> str:
        operation_id = str(super().get_operation_id())
        return f"v3_{operation_id}" if self.path.startswith("/api/v3/") else operation_id


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "engage_site.api.authentication.ApiKeyAuthentication"
    name = ["apikey", "xApiKey", "bearerKey"]

    def get_security_requirement(self, auto_schema: Any) -> list[dict[str, list[str]]]:
        # Alternatives, not all three at once.
        return [{name: []} for name in self.name]

    def get_security_definition(self, auto_schema: Any) -> list[dict[str, str]]:
        return [
            {"type": "apiKey", "in": "header", "name": "apikey", "description": "The API key."},
            {"type": "apiKey", "in": "header", "name": "x-api-key", "description": "The same key."},
            {"type": "http", "scheme": "bearer", "description": "The same key as a bearer token."},
        ]

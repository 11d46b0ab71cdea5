"""How drf-spectacular documents API key authentication: three ways to send one key."""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "interactions.api.authentication.ApiKeyAuthentication"
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

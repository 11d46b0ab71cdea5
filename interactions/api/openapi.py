"""What drf-spectacular can't read off the code: API key authentication (three ways to send one
key), and bodies that allow no key but their own."""

from typing import Any

from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerExtension,
)


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


class ClosedBatchBody(OpenApiSerializerExtension):  # type: ignore[no-untyped-call]
    """The batch body refuses unknown keys (a misspelt ``fireAutomations`` must not be ignored)."""

    target_class = "interactions.api.serializers.InteractionBatchInput"

    def map_serializer(self, auto_schema: Any, direction: Any) -> Any:
        schema = auto_schema._map_basic_serializer(self.target, direction)
        schema["additionalProperties"] = False
        return schema


class ClosedProductBulkBody(ClosedBatchBody):  # type: ignore[no-untyped-call]
    """The bulk body holds ``products`` and nothing else."""

    target_class = "interactions.api.product_serializers.ProductBulkInput"


class ClosedProductBody(ClosedBatchBody):  # type: ignore[no-untyped-call]
    """A product holds its fields and nothing else (a misspelt field must not be ignored)."""

    target_class = "interactions.api.product_serializers.ProductInput"
    match_subclasses = True


class ClosedPriceBody(ClosedBatchBody):  # type: ignore[no-untyped-call]
    target_class = "interactions.api.product_serializers.PriceInput"

"""Wire shapes of the product catalog (extension). Inputs document the bodies;
``interactions.product_validation`` checks them."""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from engage_site.api.serializers import LinkOutput
from interactions.api.serializers import FieldErrorOutput
from interactions.models import Product
from interactions.product_validation import (
    MAX_BRAND_LENGTH,
    MAX_NAME_LENGTH,
    MAX_PRICE,
    MAX_SKU_LENGTH,
    MAX_URL_LENGTH,
)


class PriceInput(serializers.Serializer):
    amount = serializers.FloatField(
        min_value=0, max_value=float(MAX_PRICE), help_text="At most 4 decimals."
    )
    currency = serializers.RegexField(r"^[A-Z]{3}$", help_text="ISO 4217, e.g. SEK.")


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {
            "oneOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}]
        },
    }
)
class AttributesField(serializers.DictField):
    pass


class ProductInput(serializers.Serializer):
    """A product as POST products and PUT products/{sku} take it (PUT: the SKU may be left out)."""

    sku = serializers.CharField(min_length=1, max_length=MAX_SKU_LENGTH)
    name = serializers.CharField(min_length=1, max_length=MAX_NAME_LENGTH)
    brand = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=MAX_BRAND_LENGTH
    )
    categories = serializers.ListField(
        child=serializers.CharField(min_length=1, max_length=200),
        required=False,
        allow_null=True,
        max_length=10,
        help_text='The category path, broadest first: ["Outerwear", "Jackets"].',
    )
    price = PriceInput(required=False, allow_null=True)
    imageUrl = serializers.URLField(required=False, allow_null=True, max_length=MAX_URL_LENGTH)
    url = serializers.URLField(required=False, allow_null=True, max_length=MAX_URL_LENGTH)
    attributes = AttributesField(required=False, allow_null=True)
    active = serializers.BooleanField(required=False, default=True)
    # What GET answers, so that a client may PUT back what it read.
    created = serializers.JSONField(required=False, help_text="Ignored: set by the server.")
    updated = serializers.JSONField(required=False, help_text="Ignored: set by the server.")


class ProductReplaceInput(ProductInput):
    """A product as PUT products/{sku} takes it: the SKU is the path's, and may be left out."""

    sku = serializers.CharField(
        required=False,
        min_length=1,
        max_length=MAX_SKU_LENGTH,
        help_text="When given, the SKU of the path.",
    )


class PriceOutput(serializers.Serializer):
    amount = serializers.FloatField()
    currency = serializers.CharField()


class ProductOutput(serializers.Serializer):
    sku = serializers.CharField()
    name = serializers.CharField()
    brand = serializers.CharField(allow_null=True)
    categories = serializers.ListField(child=serializers.CharField())
    price = PriceOutput(allow_null=True)
    imageUrl = serializers.URLField(allow_null=True)
    url = serializers.URLField(allow_null=True)
    attributes = AttributesField()
    active = serializers.BooleanField()
    created = serializers.DateTimeField()
    updated = serializers.DateTimeField()

    def to_representation(self, instance: Product) -> dict[str, Any]:
        return product_representation(instance)


def product_representation(instance: Product) -> dict[str, Any]:
    """A product in its wire shape (plain data: what the API answers and what automations hand
    to webhooks and email templates)."""
    price = None
    if instance.price_amount is not None:
        price = {"amount": float(instance.price_amount), "currency": instance.price_currency}
    return {
        "sku": instance.sku,
        "name": instance.name,
        "brand": instance.brand or None,
        "categories": list(instance.categories),
        "price": price,
        "imageUrl": instance.image_url or None,
        "url": instance.url or None,
        "attributes": dict(instance.attributes),
        "active": instance.active,
        "created": serializers.DateTimeField().to_representation(instance.created_at),
        "updated": serializers.DateTimeField().to_representation(instance.updated_at),
    }


class ProductPageOutput(serializers.Serializer):
    links = LinkOutput(many=True)
    items = ProductOutput(many=True)


class ProductBulkInput(serializers.Serializer):
    """Documents the bulk body; no other key is allowed (``interactions.api.openapi``)."""

    products = serializers.ListField(
        child=serializers.JSONField(),
        max_length=1000,
        help_text=(
            "Up to API_PRODUCTS_BULK_MAX_ITEMS (1,000) products, each shaped like the body of "
            "POST products and judged on its own."
        ),
    )


class ProductBulkItemOutput(serializers.Serializer):
    index = serializers.IntegerField(help_text="The item's place in the request, from 0.")
    status = serializers.ChoiceField(choices=["upserted", "refused"])
    sku = serializers.CharField(required=False, help_text="Upserted: the product's SKU.")
    errorCode = serializers.CharField(required=False, help_text="Refused: InvalidProduct.")
    # A field, not Serializer.errors: the serializer metaclass moves fields off the class.
    errors = FieldErrorOutput(many=True, required=False)  # type: ignore[assignment]


class ProductBulkOutput(serializers.Serializer):
    upserted = serializers.IntegerField()
    refused = serializers.IntegerField()
    results = ProductBulkItemOutput(many=True, help_text="One per item, in the request's order.")

from django.db.models import QuerySet

from interactions.models import Product, SegmentableValue


def segmentable_values(*, tenant_id: int, schema_pk: int) -> QuerySet[SegmentableValue]:
    """The typed values of one schema's segmentable properties, one row per interaction and
    property (``tenant``, ``schema``, ``contact``, ``created_date``, ``property`` and the typed
    ``number``/``text``/``boolean``/``instant``), for segment rules to filter and count; its
    indexes start with (tenant, schema, property)."""
    return SegmentableValue.objects.filter(tenant_id=tenant_id, schema_id=schema_pk).order_by()


def segment_products(*, tenant_id: int) -> QuerySet[Product]:
    """The tenant's product catalog as segment rules read it: product conditions select SKUs from
    it (``sku``, ``brand``, ``category_keys``, ``price_amount``, ``price_currency``,
    ``attributes``), which the ``productSku`` rows of ``segmentable_values`` then meet."""
    return Product.objects.filter(tenant_id=tenant_id).order_by()

"""Reads of a tenant's product catalog."""

from collections.abc import Collection

from django.db.models import Q, QuerySet

from engage_site.db import one_or_none
from interactions.exceptions import ProductNotFound
from interactions.models import Product, Tenant
from interactions.product_validation import sku_problems


def product_list(
    *, tenant: Tenant, q: str = "", brand: str = "", category: str = ""
) -> QuerySet[Product]:
    """The tenant's products, narrowed by a text ``q`` (in SKU, name or brand, any case), an exact
    ``brand`` and a ``category`` at any level of the path."""
    products = Product.objects.filter(tenant=tenant)
    if q:
        products = products.filter(
            Q(sku__icontains=q) | Q(name__icontains=q) | Q(brand__icontains=q)
        )
    if brand:
        products = products.filter(brand=brand)
    if category:
        products = products.filter(category_keys__contains=f"\n{category}\n")
    return products


def product_get(*, tenant: Tenant, sku: str) -> Product:
    if sku_problems(sku):
        raise ProductNotFound()  # no product can have this SKU; don't ask the database
    product = one_or_none(Product.objects.filter(tenant=tenant, sku=sku))
    if product is None:
        raise ProductNotFound()
    return product


def products_by_sku(*, tenant_id: int, skus: Collection[str]) -> dict[str, Product]:
    """The tenant's products named by ``skus``, by SKU, in one query (none for no SKU); a SKU no
    product has is left out."""
    wanted = {sku for sku in skus if isinstance(sku, str) and not sku_problems(sku)}
    if not wanted:
        return {}
    return {
        product.sku: product
        for product in Product.objects.filter(tenant_id=tenant_id, sku__in=wanted).order_by()
    }


def product_attribute_names(*, tenant_id: int, sample: int = 1000) -> dict[str, str]:
    """The attribute names of the tenant's most recently updated products (up to ``sample`` of
    them, so the cost is bounded whatever the catalog), each with the kind of value they hold:
    ``number``, ``boolean`` or ``string`` (``string`` when the products disagree)."""
    kinds: dict[str, str] = {}
    rows = (
        Product.objects.filter(tenant_id=tenant_id)
        .exclude(attributes={})
        .order_by("-updated_at", "-id")
        .values_list("attributes", flat=True)[:sample]
    )
    for attributes in rows:
        for name, value in attributes.items():
            kind = (
                "boolean"
                if isinstance(value, bool)
                else "number"
                if isinstance(value, int | float)
                else "string"
            )
            kinds[name] = kind if kinds.get(name, kind) == kind else "string"
    return dict(sorted(kinds.items()))

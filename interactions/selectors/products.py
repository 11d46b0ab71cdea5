"""Reads of a tenant's product catalog."""

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

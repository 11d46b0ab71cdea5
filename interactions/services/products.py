"""Writes of a tenant's product catalog: create, replace (or create), delete, upsert many."""

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from engage_site.api.problems import Problem
from interactions.exceptions import InvalidProduct, ProductAlreadyExists, ProductNotFound
from interactions.models import Product, Tenant
from interactions.product_validation import ProductFacts, product_facts, sku_problems

# What a replacement overwrites: everything but the tenant, the SKU and when it was made.
REPLACED_FIELDS = [
    "name",
    "brand",
    "categories",
    "category_keys",
    "price_amount",
    "price_currency",
    "image_url",
    "url",
    "attributes",
    "active",
    "updated_at",
]


def _facts_or_refuse(document: Any) -> ProductFacts:
    facts, problems = product_facts(document)
    if facts is None:
        raise InvalidProduct(errors=problems)
    return facts


def _product(tenant: Tenant, facts: ProductFacts, now: Any) -> Product:
    return Product(
        tenant=tenant,
        sku=facts.sku,
        name=facts.name,
        brand=facts.brand,
        categories=facts.categories,
        category_keys=facts.category_keys,
        price_amount=facts.price_amount,
        price_currency=facts.price_currency,
        image_url=facts.image_url,
        url=facts.url,
        attributes=facts.attributes,
        active=facts.active,
        created_at=now,
        updated_at=now,
    )


@transaction.atomic
def product_create(*, tenant: Tenant, document: Any) -> Product:
    """A new product from its wire document; 409 when the tenant has its SKU already."""
    facts = _facts_or_refuse(document)
    product = _product(tenant, facts, timezone.now())
    try:
        with transaction.atomic():
            product.save()
    except IntegrityError:
        raise ProductAlreadyExists() from None
    return product


@transaction.atomic
def product_put(*, tenant: Tenant, sku: str, document: Any) -> tuple[Product, bool]:
    """Replace the product ``sku`` with ``document`` whole (fields it leaves out are cleared), or
    make it; the product and whether it was made. A SKU in the body must be the path's."""
    if isinstance(document, dict):
        if "sku" in document and document["sku"] != sku:
            raise InvalidProduct(errors=[Problem("sku", "invalid", "must be the SKU of the path")])
        document = {**document, "sku": sku}
    facts = _facts_or_refuse(document)
    upserted = products_upsert(tenant=tenant, facts=[facts])
    return upserted[sku]


def products_upsert(
    *, tenant: Tenant, facts: list[ProductFacts]
) -> dict[str, tuple[Product, bool]]:
    """Replace or make each product (the last of a SKU given twice wins) in one statement per
    kind of write; each SKU with its product and whether it was made."""
    try:
        with transaction.atomic():
            return _upsert(tenant, facts)
    except IntegrityError:
        # Another request made one of these SKUs meanwhile: it exists now, and is replaced.
        with transaction.atomic():
            return _upsert(tenant, facts)


def _upsert(tenant: Tenant, facts: list[ProductFacts]) -> dict[str, tuple[Product, bool]]:
    latest = {item.sku: item for item in facts}
    now = timezone.now()
    existing = {
        product.sku: product
        for product in Product.objects.select_for_update().filter(
            tenant=tenant, sku__in=list(latest)
        )
    }
    made: list[Product] = []
    replaced: list[Product] = []
    for sku, item in latest.items():
        fresh = _product(tenant, item, now)
        old = existing.get(sku)
        if old is None:
            made.append(fresh)
            continue
        for name in REPLACED_FIELDS:
            setattr(old, name, getattr(fresh, name))
        replaced.append(old)
    Product.objects.bulk_create(made)
    Product.objects.bulk_update(replaced, REPLACED_FIELDS)
    result = {product.sku: (product, False) for product in replaced}
    result.update({product.sku: (product, True) for product in made})
    return result


@dataclass(frozen=True)
class ProductResult:
    """What became of one item of a bulk upsert: its SKU, or the problems that refused it."""

    sku: str | None
    problems: list[Problem]

    @property
    def upserted(self) -> bool:
        return not self.problems


@transaction.atomic
def products_upsert_many(*, tenant: Tenant, documents: list[Any]) -> list[ProductResult]:
    """Judge each document alone and upsert the valid ones together; one result per document,
    in order. Shared by the bulk route and the import command."""
    results: list[ProductResult] = []
    valid: list[ProductFacts] = []
    for document in documents:
        facts, problems = product_facts(document)
        if facts is None:
            results.append(ProductResult(sku=None, problems=problems))
            continue
        valid.append(facts)
        results.append(ProductResult(sku=facts.sku, problems=[]))
    if valid:
        products_upsert(tenant=tenant, facts=valid)
    return results


@transaction.atomic
def product_delete(*, tenant: Tenant, sku: str) -> None:
    if sku_problems(sku):
        raise ProductNotFound()  # no product can have this SKU; don't ask the database
    deleted, _ = Product.objects.filter(tenant=tenant, sku=sku).delete()
    if not deleted:
        raise ProductNotFound()


@transaction.atomic
def product_catalog_delete(*, tenant: Tenant) -> int:
    """Delete every product of ``tenant``; how many there were. Interactions keep their SKUs."""
    deleted, _ = Product.objects.filter(tenant=tenant).delete()
    return deleted

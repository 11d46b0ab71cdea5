"""Reads of a tenant's product catalog, and of the products a contact's interactions name.

Interactions meet products at read time: an interaction keeps the SKU it was sent with
(``payload.productSku``) and nothing else, and a page looks the SKUs it shows up in the catalog
as it is when the page is read (``docs/products.md``).
"""

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, F, Max, Q, QuerySet, Window
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import RowNumber

from engage_site.db import one_or_none
from interactions.charts import SchemaSummary
from interactions.exceptions import ProductNotFound
from interactions.models import Interaction, Product, Tenant
from interactions.product_validation import sku_problems
from interactions.schema_validation import RESERVED_PRODUCT_SKU

# The Products panel lists this many of a contact's products per kind of interaction, the most
# recent first, and counts the rest.
PRODUCTS_PER_KIND = 20


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


@dataclass(frozen=True)
class InteractedProduct:
    """A SKU a contact's interactions of one kind name: the catalog's product (None when the
    catalog lacks it), how many of those interactions name it and when the last was."""

    sku: str
    product: Product | None
    count: int
    last: datetime


@dataclass(frozen=True)
class ProductsOfKind:
    """The products a contact's interactions of one schema name, the most recent first."""

    schema_pk: int
    schema_id: str
    display_name: str
    products: list[InteractedProduct]
    # How many more SKUs than ``products`` holds.
    more: int
    # The schema's colour on the card (its place in the summary).
    color: int = 0


def contact_products(
    *,
    tenant: Tenant,
    contact_id: uuid.UUID,
    kinds: Sequence[SchemaSummary],
    per_kind: int = PRODUCTS_PER_KIND,
) -> list[ProductsOfKind]:
    """The SKUs a contact's interactions of ``kinds`` (the card's summary: the contact's schemas,
    those waiting to be purged left out) name, grouped by schema (the most recently named first),
    at most ``per_kind`` a schema, with their products; two queries whatever the history.

    The database groups the contact's interactions (read through the contact's index) by schema
    and ``payload.productSku`` and ranks the groups of each schema by their last interaction; the
    catalog is then read once for the SKUs kept. Schema names and colours come from ``kinds``, so
    the grouping carries two narrow keys only (at 100,000 interactions of one contact it takes a
    hash aggregate rather than a sort spilled to disk).
    """
    known = {kind.schema_pk: kind for kind in kinds}
    if not known:
        return []
    groups = (
        Interaction.objects.filter(
            tenant=tenant,
            contact_id=contact_id,
            schema_id__in=list(known),
            payload__has_key=RESERVED_PRODUCT_SKU,
        )
        .annotate(sku=KeyTextTransform(RESERVED_PRODUCT_SKU, "payload"))
        .values("schema_id", "sku")
        .annotate(count=Count("id"), last=Max("created_date"))
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("schema_id")],
                order_by=[F("last").desc(), F("sku").asc()],
            ),
            skus=Window(Count("*"), partition_by=[F("schema_id")]),
        )
        .filter(rank__lte=per_kind)
        .order_by("schema_id", "rank")
    )
    rows = [row for row in groups if isinstance(row["sku"], str)]
    products = products_by_sku(tenant_id=tenant.pk, skus=[row["sku"] for row in rows])
    found: dict[int, ProductsOfKind] = {}
    for row in rows:
        kind = found.get(row["schema_id"])
        if kind is None:
            summary = known[row["schema_id"]]
            kind = found[row["schema_id"]] = ProductsOfKind(
                schema_pk=summary.schema_pk,
                schema_id=summary.schema_id,
                display_name=summary.display_name,
                products=[],
                more=max(0, row["skus"] - per_kind),
                color=summary.color,
            )
        kind.products.append(
            InteractedProduct(
                sku=row["sku"],
                product=products.get(row["sku"]),
                count=row["count"],
                last=row["last"],
            )
        )
    return sorted(found.values(), key=lambda kind: kind.products[0].last, reverse=True)

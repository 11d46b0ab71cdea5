from django.db import models
from django.db.models import Q
from django.utils import timezone

from interactions.models.tenants import Tenant

MAX_SKU_LENGTH = 128


class Product(models.Model):
    """A product of a tenant's catalog, named by its SKU (the ``productSku`` of interactions)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="products")
    sku = models.CharField(max_length=MAX_SKU_LENGTH)
    name = models.CharField(max_length=500)
    brand = models.CharField(max_length=200, blank=True, default="")
    # The category path, broadest first: ["Outerwear", "Jackets"].
    categories = models.JSONField(default=list, blank=True)
    # The path again as "\nOuterwear\nJackets\n", so "in Outerwear (any level)" is one substring
    # match on every database (SQLite has no JSON containment). Category names hold no newline.
    category_keys = models.TextField(blank=True, default="", editable=False)
    price_amount = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    price_currency = models.CharField(max_length=3, blank=True, default="")
    image_url = models.URLField(max_length=2048, blank=True, default="")
    url = models.URLField(max_length=2048, blank=True, default="")
    # Free facts: {"color": "red", "size": 42, "organic": true}.
    attributes = models.JSONField(default=dict, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["sku"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "sku"], name="product_sku_unique_per_tenant"),
            models.CheckConstraint(condition=~Q(sku=""), name="product_sku_not_empty"),
            models.CheckConstraint(
                condition=Q(price_amount__isnull=True, price_currency="")
                | (Q(price_amount__isnull=False, price_amount__gte=0) & ~Q(price_currency="")),
                name="product_price_amount_with_currency",
            ),
        ]
        # The product side of segment conditions ("brand is X", "price over Y"); categories and
        # attributes are read from the tenant's rows (a catalog is small beside its interactions).
        indexes = [
            models.Index(fields=["tenant", "brand"], name="product_brand"),
            models.Index(fields=["tenant", "price_amount"], name="product_price"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} · {self.name}"

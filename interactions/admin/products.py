"""The product catalog in the admin: a read-only list searchable by SKU, name, brand and category,
filterable by brand, active and currency (products are written through the API and
``import_products``, which check them), deleting products through the same service as the API, and
an action that deletes the tenant's whole catalog after showing a count."""

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from interactions.admin.base import TenantScopedAdmin, acting_tenant
from interactions.display import money_text, number_text
from interactions.models import Product
from interactions.services.products import product_catalog_delete, product_delete

CONFIRM = "confirm_catalog_delete"


class _TenantValuesFilter(admin.SimpleListFilter):
    """The distinct values of a column among the acting tenant's products only (Django's own
    values filter reads every tenant's rows)."""

    column = ""

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        values = (
            model_admin.get_queryset(request)
            .exclude(**{self.column: ""})
            .order_by(self.column)
            .values_list(self.column, flat=True)
            .distinct()
        )
        return [(value, value) for value in values]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Product]) -> QuerySet[Product]:
        if self.value():
            return queryset.filter(**{self.column: self.value()})
        return queryset


class BrandFilter(_TenantValuesFilter):
    title = "brand"
    parameter_name = "brand"
    column = "brand"


class CurrencyFilter(_TenantValuesFilter):
    title = "currency"
    parameter_name = "currency"
    column = "price_currency"


@admin.register(Product)
class ProductAdmin(TenantScopedAdmin):
    list_display = ("sku", "name", "brand", "category_path", "price", "active", "updated_at")
    # category_keys holds the category path, so a search finds a category at any level.
    search_fields = ("sku", "name", "brand", "category_keys")
    list_filter = (BrandFilter, "active", CurrencyFilter)
    fields = (
        "sku",
        "name",
        "brand",
        "category_path",
        "price",
        "image_url",
        "url",
        "attributes",
        "active",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    actions = ("delete_catalog",)

    @admin.display(description="Category")
    def category_path(self, product: Product) -> str:
        return " > ".join(product.categories)

    @admin.display(description="Price")
    def price(self, product: Product) -> str:
        if product.price_amount is None:
            return ""
        return money_text(product.price_amount, product.price_currency)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # through the API or import_products, which check every field

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: Product) -> None:
        product_delete(tenant=acting_tenant(request), sku=obj.sku)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        tenant = acting_tenant(request)
        for sku in queryset.values_list("sku", flat=True):
            product_delete(tenant=tenant, sku=sku)

    @admin.action(
        description="Delete the whole catalog (every product, not only the selected)",
        permissions=["delete"],
    )
    def delete_catalog(
        self, request: HttpRequest, queryset: QuerySet[Product]
    ) -> HttpResponse | None:
        tenant = acting_tenant(request)
        if request.POST.get(CONFIRM) == "yes":
            deleted = product_catalog_delete(tenant=tenant)
            self.message_user(
                request,
                f"Deleted the catalog: {number_text(deleted)} "
                f"product{'s' if deleted != 1 else ''}. Interactions keep their SKUs.",
                messages.SUCCESS,
            )
            return None
        catalog = Product.objects.filter(tenant=tenant)
        context = {
            **self.admin_site.each_context(request),
            "title": "Delete the whole catalog?",
            "opts": self.model._meta,
            "product_count": catalog.count(),
            # Django runs an action only with a row selected; the confirmation selects one of the
            # tenant's own (not an echo of what was posted) and asks across the whole list.
            "anchor_pk": catalog.order_by("pk").values_list("pk", flat=True).first(),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "confirm_name": CONFIRM,
        }
        return TemplateResponse(
            request, "admin/interactions/product/delete_catalog_confirmation.html", context
        )

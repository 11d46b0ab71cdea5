from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from interactions.admin.base import SuperuserOnlyAdmin, TenantScopedAdmin, acting_tenant
from interactions.models import ApiKey, StaffAccount, Tenant
from interactions.services.tenants import (
    api_key_create,
    api_key_revoke,
    api_key_rotate,
    tenant_update,
)


@admin.register(Tenant)
class TenantAdmin(TenantScopedAdmin):
    """Superusers see every tenant; a tenant's admin sees and edits its own (time zone, name)."""

    list_display = (
        "slug",
        "name",
        "timezone",
        "locale",
        "max_schemas",
        "max_segmentable_properties",
    )
    search_fields = ("slug", "name")
    readonly_fields = ("created_at",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Tenant]:
        if request.user.is_superuser:  # they manage every tenant, not only the one they act for
            return super(TenantScopedAdmin, self).get_queryset(request)
        return super().get_queryset(request)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if request.user.is_superuser:
            return self.readonly_fields
        return (*self.readonly_fields, "slug", "max_schemas", "max_segmentable_properties")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser)

    def save_model(self, request: HttpRequest, obj: Tenant, form: Any, change: bool) -> None:
        if change:
            tenant_update(tenant=obj, changed=form.changed_data)
            return
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)


@admin.register(ApiKey)
class ApiKeyAdmin(TenantScopedAdmin):
    """Keys are shown once, when made; revoke and rotate are actions."""

    list_display = (
        "__str__",
        "name",
        "created_at",
        "last_used_at",
        "revoked_at",
        "rate_limit_per_second",
    )
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix")
    fields = ("name", "rate_limit_per_second", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "created_at", "last_used_at", "revoked_at")
    actions = ("revoke", "rotate")

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        if change:
            obj.save(update_fields=["name", "rate_limit_per_second"])
            return
        created, key = api_key_create(
            tenant=acting_tenant(request),
            name=obj.name,
            rate_limit_per_second=obj.rate_limit_per_second,
        )
        obj.pk = created.pk
        self.message_user(
            request, f"The new API key (shown only now, copy it): {key}", messages.WARNING
        )

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        for api_key in queryset:
            api_key_revoke(api_key=api_key)
        self.message_user(request, f"Revoked {queryset.count()} key(s).")

    @admin.action(
        description="Rotate: make a new key like each selected one (old keys keep working)"
    )
    def rotate(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        for api_key in queryset.filter(revoked_at__isnull=True):
            _, key = api_key_rotate(api_key=api_key)
            self.message_user(
                request,
                f"New key for {api_key.name or api_key.prefix} (shown only now): {key}. "
                "Revoke the old one once clients use the new one.",
                messages.WARNING,
            )


@admin.register(StaffAccount)
class StaffAccountAdmin(SuperuserOnlyAdmin):
    """Which tenant each staff user works for (superusers only)."""

    list_display = ("user", "tenant")
    list_select_related = ("user", "tenant")
    search_fields = ("user__username", "tenant__slug")
    autocomplete_fields = ("user",)

"""Tenant scoping for the admin: lists, forms, filters and lookups see only the acting tenant."""

from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from interactions.models import Tenant
from interactions.views.tenancy import current_tenant


def acting_tenant(request: HttpRequest) -> Tenant:
    """The tenant of this admin request; 404 for staff attached to none."""
    tenant = current_tenant(request)
    if tenant is None:
        raise Http404("This account is not attached to a tenant.")
    return tenant


class TenantScopedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """A ModelAdmin whose every query starts from the acting tenant.

    Another tenant's object is a 404, exactly like a missing one, instead of Django's redirect
    with a "doesn't exist" message.
    """

    tenant_lookup = "tenant"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        tenant = current_tenant(request)
        queryset = super().get_queryset(request)
        if tenant is None:
            return queryset.none()
        return queryset.filter(**{self.tenant_lookup: tenant})

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Any:
        # Not found before any permission check: another tenant's object answers exactly like a
        # missing one on every admin page (change, delete, history), whatever the user's role.
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("No such object.")
        return obj

    def response_delete(self, request: HttpRequest, obj_display: str, obj_id: Any) -> HttpResponse:
        """Back to the list, which Django skips (for the admin index) on read-only models."""
        response = super().response_delete(request, obj_display, obj_id)
        if isinstance(response, HttpResponseRedirect) and self.has_view_permission(request):
            opts = self.model._meta
            return HttpResponseRedirect(
                reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
            )
        return response

    def has_module_permission(self, request: HttpRequest) -> bool:
        return current_tenant(request) is not None and super().has_module_permission(request)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        related: type[Model] = db_field.related_model
        if any(field.name == "tenant" for field in related._meta.fields):
            kwargs["queryset"] = related._default_manager.filter(tenant=current_tenant(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class TenantScopedInline(admin.TabularInline):  # type: ignore[type-arg]
    """An inline whose foreign-key choices come from the acting tenant only."""

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        related: type[Model] = db_field.related_model
        if any(field.name == "tenant" for field in related._meta.fields):
            kwargs["queryset"] = related._default_manager.filter(tenant=current_tenant(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class TenantRelatedFilter(admin.RelatedFieldListFilter):
    """A list filter on a foreign key that offers only the acting tenant's objects."""

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> list[Any]:
        tenant = current_tenant(request)
        related = field.related_model._default_manager.filter(tenant=tenant)
        if hasattr(field.related_model, "deleted_at"):
            related = related.filter(deleted_at__isnull=True)
        return [(obj.pk, str(obj)) for obj in related.order_by(*field.related_model._meta.ordering)]

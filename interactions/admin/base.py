"""Tenant scoping for the admin: lists, forms, filters and lookups see only the acting tenant.

Every model admin is one of two kinds (``interactions.admin.scoping`` holds the admin site to
that): a ``TenantScopedAdmin``, whose every query starts from the acting tenant, or a
``SuperuserOnlyAdmin``, which no tenant's staff can open at all.
"""

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from interactions.admin.named_controls import NamedInlineControls
from interactions.models import Tenant
from interactions.views.tenancy import current_tenant


def acting_tenant(request: HttpRequest) -> Tenant:
    """The tenant of this admin request; 404 for staff attached to none."""
    tenant = current_tenant(request)
    if tenant is None:
        raise Http404("This account is not attached to a tenant.")
    return tenant


def tenant_path(model: type[Model]) -> str | None:
    """The lookup from ``model``'s rows to the tenant owning them, or None for rows of no tenant.

    ``pk`` for tenants themselves, the foreign key for rows that name their tenant (``tenant``),
    and through required foreign keys for rows that belong to such a row (``run__tenant``).
    """
    return _tenant_path(model, frozenset())


def _tenant_path(model: type[Model], seen: frozenset[type[Model]]) -> str | None:
    if model is Tenant:
        return "pk"
    relations = [
        field
        for field in model._meta.fields
        if (field.many_to_one or field.one_to_one)
        and not field.null
        and field.related_model not in seen
    ]
    for field in relations:
        if field.related_model is Tenant:
            return field.name
    for field in relations:
        related: type[Model] = field.related_model  # type: ignore[assignment]
        inner = _tenant_path(related, seen | {model})
        if inner is not None and inner != "pk":
            return f"{field.name}__{inner}"
    return None


def tenant_rows(model: type[Model], tenant: Tenant | None) -> QuerySet[Any]:
    """``model``'s rows of ``tenant`` (none for no tenant); every row for models no tenant owns."""
    queryset = model._default_manager.all()
    path = tenant_path(model)
    if path is None:
        return queryset
    return queryset.none() if tenant is None else queryset.filter(**{path: tenant.pk})


class _TenantChoices:
    """Foreign-key and many-to-many choices come from the acting tenant only."""

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if tenant_path(db_field.related_model) is not None:
            kwargs["queryset"] = tenant_rows(db_field.related_model, current_tenant(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if tenant_path(db_field.related_model) is not None:
            kwargs["queryset"] = tenant_rows(db_field.related_model, current_tenant(request))
        return super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]


class TenantScopedAdmin(_TenantChoices, admin.ModelAdmin):  # type: ignore[type-arg]
    """A ModelAdmin whose every query starts from the acting tenant.

    Another tenant's object is a 404, exactly like a missing one, instead of Django's redirect
    with a "doesn't exist" message. The way from a row to its tenant is found from the model
    (``tenant_path``); set ``tenant_lookup`` only to override it.
    """

    tenant_lookup = ""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        tenant = current_tenant(request)
        queryset = super().get_queryset(request)
        lookup = self.tenant_lookup or tenant_path(self.model)
        if tenant is None or lookup is None:
            return queryset.none()
        return queryset.filter(**{lookup: tenant.pk})

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


class TenantScopedInline(_TenantChoices, NamedInlineControls, admin.TabularInline):  # type: ignore[type-arg]
    """An inline whose foreign-key choices come from the acting tenant only."""


class TenantRelatedFilter(admin.RelatedFieldListFilter):
    """A list filter on a foreign key that offers only the acting tenant's objects."""

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> list[Any]:
        related = tenant_rows(field.related_model, current_tenant(request))
        if hasattr(field.related_model, "deleted_at"):
            related = related.filter(deleted_at__isnull=True)
        return [(obj.pk, str(obj)) for obj in related.order_by(*field.related_model._meta.ordering)]


class SuperuserOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """An admin for superusers only: rows no tenant owns (users, groups, login attempts) or that
    only the operator manages (which tenant a staff user works for).

    The admin site makes every third-party admin of such a model one of these."""

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Any:
        # Refused before the lookup: Django's history page would otherwise tell a missing row
        # (a redirect) from an existing one (refused).
        if not request.user.is_superuser:
            raise PermissionDenied("Only superusers manage these.")
        return super().get_object(request, object_id, from_field)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser) and super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser) and super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return bool(request.user.is_superuser) and super().has_add_permission(request, *args)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser) and super().has_delete_permission(request, obj)

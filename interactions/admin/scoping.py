"""What every model admin must be, so that no tenant's staff ever sees another tenant's rows.

A model whose rows a tenant owns (``tenant_path``) gets a ``TenantScopedAdmin``, with inlines
and related list filters that offer the acting tenant's rows only; any other model gets a
``SuperuserOnlyAdmin``. The admin site (``engage_site.admin_site``) refuses to start with a
tenant-owned model under any other admin, and turns the admins other packages register for
models no tenant owns (users, groups, login attempts) into superuser-only ones. A system check
says the same about every admin site, in case one is built without those rules.
"""

from collections.abc import Iterable
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import NotRelationField, get_fields_from_path
from django.core import checks
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db.models import Model

from interactions.admin.base import (
    SuperuserOnlyAdmin,
    TenantRelatedFilter,
    TenantScopedAdmin,
    TenantScopedInline,
    tenant_path,
)


def admin_problems(model: type[Model], model_admin: Any) -> list[str]:
    """Why ``model_admin`` could show one tenant's rows to another's staff (nothing if it can't).

    A third-party admin of a model no tenant owns is left to ``superuser_only``."""
    label = f"{model._meta.label} is registered with {type(model_admin).__qualname__}, which"
    if isinstance(model_admin, SuperuserOnlyAdmin):
        return []
    if not isinstance(model_admin, TenantScopedAdmin):
        owner = "a tenant owns its rows" if tenant_path(model) else "no tenant owns its rows"
        return [f"{label} is neither a TenantScopedAdmin nor a SuperuserOnlyAdmin ({owner})"]
    if tenant_path(model) is None:
        return [f"{label} is a TenantScopedAdmin, but no tenant owns its rows"]
    problems = []
    for inline in model_admin.inlines:
        if tenant_path(inline.model) and not issubclass(inline, TenantScopedInline):
            problems.append(
                f"{label} has the inline {inline.__qualname__}, which is no TenantScopedInline"
            )
    for entry in model_admin.list_filter:
        name, filter_class = entry if isinstance(entry, tuple) else (entry, None)
        if not isinstance(name, str) or not _names_tenant_rows(model, name):
            continue
        if filter_class is None or not issubclass(
            filter_class, TenantRelatedFilter | admin.RelatedOnlyFieldListFilter
        ):
            problems.append(
                f"{label} filters on {name!r}, which offers every tenant's rows: use "
                f"({name!r}, TenantRelatedFilter)"
            )
    return problems


def _names_tenant_rows(model: type[Model], name: str) -> bool:
    try:
        fields = get_fields_from_path(model, name)
    except (FieldDoesNotExist, NotRelationField):
        return False
    related = getattr(fields[-1], "related_model", None)
    return related is not None and tenant_path(related) is not None


def superuser_only(admin_class: type["admin.ModelAdmin[Any]"]) -> type["admin.ModelAdmin[Any]"]:
    """``admin_class``, for superusers only."""
    if issubclass(admin_class, SuperuserOnlyAdmin):
        return admin_class
    name = f"SuperuserOnly{admin_class.__name__}"
    made: type[admin.ModelAdmin[Any]] = type(name, (SuperuserOnlyAdmin, admin_class), {})
    made.__module__ = __name__
    return made


def admin_registry_seal(site: admin.AdminSite) -> None:
    """Hold ``site``'s registry to the rules: admins of models no tenant owns become
    superuser-only, and any other problem stops the site."""
    problems = []
    for model, model_admin in list(site._registry.items()):
        if tenant_path(model) is None and not isinstance(model_admin, TenantScopedAdmin):
            if not isinstance(model_admin, SuperuserOnlyAdmin):
                site._registry[model] = superuser_only(type(model_admin))(model, site)
            continue
        problems += admin_problems(model, model_admin)
    if problems:
        raise ImproperlyConfigured("; ".join(problems))


@checks.register(checks.Tags.admin)
def admin_scoping_check(app_configs: Iterable[Any] | None, **kwargs: Any) -> list[checks.Error]:
    """Every admin of every admin site is tenant-scoped or superuser-only."""
    from django.contrib.admin.sites import all_sites

    return [
        checks.Error(
            problem,
            hint="Derive it from TenantScopedAdmin or SuperuserOnlyAdmin (admin/base.py).",
            obj=model_admin,
            id="interactions.E101",
        )
        for site in all_sites
        for model, model_admin in site._registry.items()
        for problem in admin_problems(model, model_admin)
    ]

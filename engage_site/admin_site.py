"""The admin site: every model admin is scoped to the acting tenant or open to superusers only,
shows dates, times and numbers as the staff pages do, and names every form control.

The rules are the core's (``interactions.admin.scoping``); this module only holds the site to them,
once every app's admin module has registered (and again for any registered later). It imports no
app at the top, since Django imports it while it loads the apps.
"""

from collections.abc import Iterable
from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model


class EngageAdminSite(admin.AdminSite):
    """Refuses a tenant-owned model under an unscoped admin; makes the admins other packages
    register for models no tenant owns (users, groups, login attempts) superuser-only."""

    _sealed = False

    def register(
        self,
        model_or_iterable: type[Model] | Iterable[type[Model]],
        admin_class: Any = None,
        **options: Any,
    ) -> None:
        from interactions.admin.display_columns import DisplayColumnsAdmin
        from interactions.admin.named_controls import NamedControlsAdmin

        shown = admin_class or admin.ModelAdmin
        if not issubclass(shown, DisplayColumnsAdmin):
            # Dates, times and numbers read as on every staff page (the tenant's zone and
            # locale), and every form control has an accessible name.
            shown = type(shown.__name__, (DisplayColumnsAdmin, NamedControlsAdmin, shown), {})
        super().register(model_or_iterable, shown, **options)
        if self._sealed:
            try:
                self.seal()
            except ImproperlyConfigured:
                self.unregister(model_or_iterable)
                raise

    def seal(self) -> None:
        from interactions.admin.scoping import admin_registry_seal

        admin_registry_seal(self)
        self._sealed = True


class EngageAdminConfig(AdminConfig):
    default_site = "engage_site.admin_site.EngageAdminSite"

    def ready(self) -> None:
        super().ready()  # imports every app's admin module, which registers its admins
        site = admin.site
        if isinstance(site, EngageAdminSite):
            site.seal()

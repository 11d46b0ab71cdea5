"""Read-only admin views of the acting tenant's automations and runs (they are edited on the
Automations pages, through the services)."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from automations.models import Automation, AutomationRun, RunAttempt
from automations.services.automations import automation_delete
from interactions.public import TenantScopedAdmin, TenantScopedInline


class ReadOnlyAdmin(TenantScopedAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Automation)
class AutomationAdmin(ReadOnlyAdmin):
    list_display = ("name", "trigger", "entry_rule", "is_active", "flagged_reason")
    list_filter = ("is_active", "trigger", "entry_rule")
    search_fields = ("name",)
    # Signing secrets are shown once, when made or rotated, on the Automations pages.
    exclude = ("tenant", "webhook_secret", "previous_webhook_secret", "legacy_webhook_secret")

    def delete_model(self, request: HttpRequest, obj: Automation) -> None:
        automation_delete(automation=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Automation]) -> None:
        for automation in queryset:
            automation_delete(automation=automation)


class RunAttemptInline(TenantScopedInline):
    model = RunAttempt
    extra = 0
    can_delete = False
    readonly_fields = ("action_index", "action_type", "number", "outcome", "duration_ms", "error")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AutomationRun)
class AutomationRunAdmin(ReadOnlyAdmin):
    list_display = ("id", "automation", "contact", "status", "created_at", "finished_at")
    list_filter = ("status",)
    list_select_related = ("automation", "contact")
    raw_id_fields = ("automation", "contact")
    exclude = ("tenant",)
    inlines = [RunAttemptInline]

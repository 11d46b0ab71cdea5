"""Read-only admin views of automations and runs (they are edited on the Automations pages,
through the services)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from automations.models import Automation, AutomationRun, RunAttempt


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Automation)
class AutomationAdmin(ReadOnlyAdmin):
    list_display = ("name", "tenant", "trigger", "entry_rule", "is_active", "flagged_reason")
    list_filter = ("is_active", "trigger", "entry_rule")
    list_select_related = ("tenant",)
    search_fields = ("name",)
    exclude = ("webhook_secret",)


class RunAttemptInline(admin.TabularInline):  # type: ignore[type-arg]
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
    inlines = [RunAttemptInline]

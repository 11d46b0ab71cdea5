from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from interactions.public import TenantScopedAdmin
from segments.models import Segment


@admin.register(Segment)
class SegmentAdmin(TenantScopedAdmin):
    """Read-only: segments are built on the Segments pages and through the API, where rules are
    checked and memberships refreshed; the admin shows them and their state, for the acting
    tenant only."""

    list_display = ("name", "member_count", "is_active", "last_refreshed_at", "refresh_minutes")
    list_filter = ("is_active",)
    search_fields = ("name", "description")
    readonly_fields = (
        "id",
        "name",
        "description",
        "rule",
        "rule_version",
        "version",
        "refresh_minutes",
        "member_count",
        "last_refreshed_at",
        "refreshed_rule_version",
        "next_refresh_at",
        "is_active",
        "problem",
        "created_at",
        "updated_at",
    )
    exclude = ("tenant",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

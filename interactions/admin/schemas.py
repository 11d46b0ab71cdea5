from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from interactions.admin.base import TenantScopedAdmin, acting_tenant
from interactions.models import InteractionSchema
from interactions.services.schemas import interaction_schema_delete


@admin.register(InteractionSchema)
class InteractionSchemaAdmin(TenantScopedAdmin):
    list_display = ("schema_id", "display_name", "created_at")
    search_fields = ("schema_id", "display_name")
    readonly_fields = ("schema_id", "display_name", "json_schema_text", "created_at")
    exclude = ("tenant", "deleted_at")

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).filter(deleted_at__isnull=True)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # schemas are never edited, as in the API

    def delete_model(self, request: HttpRequest, obj: InteractionSchema) -> None:
        interaction_schema_delete(tenant=acting_tenant(request), schema_id=obj.schema_id)

"""Interactions in the admin: read-only, with their raw copies; deleted through the service."""

import contextlib
import json
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from interactions.admin.base import TenantRelatedFilter, TenantScopedAdmin, acting_tenant
from interactions.models import Interaction
from interactions.services import raw_storage
from interactions.services.interactions import interaction_delete


def raw_copy_html(tenant_id: int, kind: str, object_id: Any) -> str:
    """A raw copy for a read-only admin page: pretty-printed when it is JSON, else as received."""
    path = raw_storage.raw_copy_path(tenant_id=tenant_id, kind=kind, object_id=object_id)
    try:
        body = raw_storage.raw_copy_read(path=path).decode("utf-8")
    except raw_storage.RawCopyUnavailable:
        return "(the raw copy can't be read right now)"
    with contextlib.suppress(ValueError):  # shown as received when it isn't JSON
        body = json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    return format_html('<pre class="raw-copy">{}</pre>', body)


@admin.register(Interaction)
class InteractionAdmin(TenantScopedAdmin):
    list_display = ("id", "schema_name", "contact", "created_date", "received_at", "dropped_count")
    list_select_related = ("schema", "contact")
    list_filter = (("schema", TenantRelatedFilter), "created_date")
    date_hierarchy = "created_date"
    search_fields = ("=id", "=contact__id", "contact__email")
    raw_id_fields = ("contact",)
    readonly_fields = (
        "id",
        "contact",
        "schema",
        "created_date",
        "received_at",
        "payload",
        "dropped_properties",
        "raw_copy",
    )
    exclude = ("tenant",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Interaction]:
        return super().get_queryset(request).filter(schema__deleted_at__isnull=True)

    @admin.display(description="Schema", ordering="schema__display_name")
    def schema_name(self, interaction: Interaction) -> str:
        return interaction.schema.display_name

    @admin.display(description="Dropped")
    def dropped_count(self, interaction: Interaction) -> int:
        return len(interaction.dropped_properties or [])

    @admin.display(description="Raw copy (as received)")
    def raw_copy(self, interaction: Interaction) -> str:
        return raw_copy_html(interaction.tenant_id, raw_storage.INTERACTIONS, interaction.pk)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: Interaction) -> None:
        interaction_delete(tenant=acting_tenant(request), interaction=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Interaction]) -> None:
        tenant = acting_tenant(request)
        for interaction in queryset:
            interaction_delete(tenant=tenant, interaction=interaction)

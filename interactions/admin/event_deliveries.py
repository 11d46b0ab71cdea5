"""Failed event deliveries: the events a subscriber raised on, their error and attempts, and a
replay action for once the cause is fixed. Read-only otherwise; admins only (see the roles)."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from engage_site.api.exceptions import ApiError
from interactions.admin.base import TenantScopedAdmin, acting_tenant
from interactions.models import EventDelivery
from interactions.services.event_deliveries import event_delivery_replay


@admin.register(EventDelivery)
class EventDeliveryAdmin(TenantScopedAdmin):
    list_display = (
        "created_at",
        "status",
        "subscriber",
        "event_id",
        "kind",
        "contact_id",
        "attempts",
        "next_attempt_at",
        "error",
    )
    list_filter = ("status", "subscriber", "created_at")
    date_hierarchy = "created_at"
    search_fields = ("=interaction_id", "=contact_id", "=event_id")
    readonly_fields = (
        "id",
        "status",
        "subscriber",
        "attempts",
        "next_attempt_at",
        "last_error",
        "event_id",
        "kind",
        "source",
        "interaction_id",
        "contact_id",
        "event_created_at",
        "created_at",
        "updated_at",
    )
    exclude = ("tenant", "schema_pk")
    actions = ("replay",)

    @admin.display(description="Error")
    def error(self, delivery: EventDelivery) -> str:
        text = delivery.last_error
        return text if len(text) <= 160 else text[:159] + "…"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_replay_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("interactions.change_eventdelivery"))

    @admin.action(
        description="Replay: hand the event to its subscriber again (once the cause is fixed)",
        permissions=["replay"],
    )
    def replay(self, request: HttpRequest, queryset: QuerySet[EventDelivery]) -> None:
        tenant = acting_tenant(request)
        queued = 0
        for delivery in queryset.order_by("event_id"):
            try:
                event_delivery_replay(tenant=tenant, delivery=delivery)
            except ApiError as refused:
                self.message_user(
                    request, f"Event {delivery.event_id}: {refused.message}", messages.WARNING
                )
            else:
                queued += 1
        if queued:
            self.message_user(
                request,
                f"{queued} event(s) will be handed to their subscriber again in a moment; "
                "a failure shows here again with its error.",
            )

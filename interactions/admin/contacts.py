from typing import Any

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db.models import Count, Max, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from interactions.admin.base import TenantScopedAdmin, TenantScopedInline, acting_tenant
from interactions.models import Contact, ContactTag, Interaction, Tag
from interactions.services.contacts import contact_create, contact_erase, contact_update
from interactions.services.tags import tag_delete, tag_save


class ContactChangeList(ChangeList):
    """Counts interactions for the contacts of the page only: one query whatever the page size,
    and no aggregate over all of the tenant's interactions."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        contacts = list(self.result_list)
        stats = {
            row["contact"]: row
            for row in Interaction.objects.filter(contact__in=[c.pk for c in contacts])
            .values("contact")
            .annotate(total=Count("id"), last=Max("created_date"))
            .order_by()
        }
        for contact in contacts:
            row = stats.get(contact.pk, {})
            contact.interaction_total = row.get("total", 0)
            contact.last_created = row.get("last")


class ContactTagInline(TenantScopedInline):
    model = ContactTag
    extra = 1
    fields = ("tag", "created_at")
    readonly_fields = ("created_at",)
    verbose_name = "tag"


@admin.register(Tag)
class TagAdmin(TenantScopedAdmin):
    list_display = ("name", "created_at")
    search_fields = ("name",)
    exclude = ("tenant",)

    def save_model(self, request: HttpRequest, obj: Tag, form: Any, change: bool) -> None:
        tag_save(
            tenant=acting_tenant(request), tag=obj, changed=form.changed_data if change else []
        )

    def delete_model(self, request: HttpRequest, obj: Tag) -> None:
        tag_delete(tenant=acting_tenant(request), tag=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Tag]) -> None:
        tenant = acting_tenant(request)
        for tag in queryset:
            tag_delete(tenant=tenant, tag=tag)


@admin.register(Contact)
class ContactAdmin(TenantScopedAdmin):
    list_display = (
        "__str__",
        "email",
        "contact_type",
        "interaction_count",
        "last_interaction",
        "card",
    )
    list_filter = ("contact_type",)
    inlines = (ContactTagInline,)
    search_fields = ("=id", "email", "first_name", "last_name", "external_id", "mobile_phone")
    readonly_fields = ("id", "created_on", "modified_on")
    fields = (
        "id",
        "contact_type",
        "first_name",
        "last_name",
        "email",
        "mobile_phone",
        "external_id",
        "extra_attributes",
        "created_on",
        "modified_on",
    )

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return ContactChangeList

    @admin.display(description="Interactions")
    def interaction_count(self, contact: Any) -> int:
        return int(getattr(contact, "interaction_total", 0))

    @admin.display(description="Last interaction")
    def last_interaction(self, contact: Any) -> Any:
        return getattr(contact, "last_created", None)

    @admin.display(description="Contact card")
    def card(self, contact: Contact) -> str:
        return format_html('<a href="{}">open</a>', reverse("contact-card", args=[contact.pk]))

    def save_model(self, request: HttpRequest, obj: Contact, form: Any, change: bool) -> None:
        if change:
            # Its "contact changed" event also covers the tags the inline puts on or takes off:
            # subscribers read the contact after the admin's transaction commits.
            contact_update(contact=obj, changed=form.changed_data)
            return
        created = contact_create(
            tenant=acting_tenant(request),
            contact_type=obj.contact_type,
            email=obj.email,
            mobile_phone=obj.mobile_phone,
            external_id=obj.external_id,
            first_name=obj.first_name,
            last_name=obj.last_name,
            extra_attributes=obj.extra_attributes,
        )
        obj.pk = created.pk

    def delete_model(self, request: HttpRequest, obj: Contact) -> None:
        contact_erase(tenant=acting_tenant(request), contact=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Contact]) -> None:
        tenant = acting_tenant(request)
        for contact in queryset:
            contact_erase(tenant=tenant, contact=contact)

"""Interaction schemas in the admin: a list, the schema builder to add one, a read-only page with
"Duplicate", and a delete confirmation that counts (never lists) the interactions that go too."""

import json
from collections.abc import Sequence
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join

from interactions.admin.base import TenantScopedAdmin, acting_tenant
from interactions.formats import FORMAT_CHECKS
from interactions.forms import InteractionSchemaBuilderForm
from interactions.models import Interaction, InteractionSchema
from interactions.schema_validation import PROPERTY_TYPES, describe_properties
from interactions.services.schemas import interaction_schema_delete

_BUILDER_TEMPLATE = "admin/interactions/interactionschema/add_form.html"


class InteractionSchemaChangeList(ChangeList):
    """Counts the interactions of the page's schemas in one query, whatever the page size."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        schemas = list(self.result_list)
        totals = dict(
            Interaction.objects.filter(schema__in=[schema.pk for schema in schemas])
            .values("schema")
            .annotate(total=Count("id"))
            .order_by()
            .values_list("schema", "total")
        )
        for schema in schemas:
            schema.interaction_total = totals.get(schema.pk, 0)


def _pretty(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False)


@admin.register(InteractionSchema)
class InteractionSchemaAdmin(TenantScopedAdmin):
    """Schemas are never edited (as in the API): the change page is read-only and offers to
    duplicate the schema into the builder under a new id. Adding and deleting go through the same
    services as the API, so rules, messages and side effects are the API's."""

    list_display = (
        "schema_id",
        "display_name",
        "property_count",
        "created_at",
        "interaction_count",
    )
    search_fields = ("schema_id", "display_name")
    fields = ("schema_id", "display_name", "created_at", "properties", "json_schema_document")
    readonly_fields = fields

    # --- List -------------------------------------------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet[InteractionSchema]:
        return super().get_queryset(request).filter(deleted_at__isnull=True)

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return InteractionSchemaChangeList

    @admin.display(description="Properties")
    def property_count(self, schema: InteractionSchema) -> int:
        return len(schema.json_schema.get("properties") or {})

    @admin.display(description="Interactions")
    def interaction_count(self, schema: Any) -> int:
        return int(getattr(schema, "interaction_total", 0))

    # --- Read-only page ---------------------------------------------------------------------------

    @admin.display(description="Properties")
    def properties(self, schema: InteractionSchema) -> str:
        document = schema.json_schema
        required = set(document.get("required") or ())
        rows = format_html_join(
            "",
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
            "<td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    prop.name,
                    prop.type,
                    prop.format or "",
                    prop.display_name,
                    prop.sort_order,
                    "yes" if prop.show_in_contact_card else "",
                    "yes" if prop.add_to_segmentation else "",
                    "yes" if prop.name in required else "",
                )
                for prop in describe_properties(document)
            ),
        )
        return format_html(
            '<table class="schema-properties"><thead><tr><th>Name</th><th>Type</th>'
            "<th>Format</th><th>Display name</th><th>Sort order</th><th>Contact card</th>"
            "<th>Segmentation</th><th>Required</th></tr></thead><tbody>{}</tbody></table>",
            rows,
        )

    @admin.display(description="JSON Schema")
    def json_schema_document(self, schema: InteractionSchema) -> str:
        return format_html('<pre class="schema-json">{}</pre>', _pretty(schema.json_schema))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # schemas are never edited, as in the API

    # --- The builder: add, and duplicate ----------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        duplicate = path(
            "<path:object_id>/duplicate/",
            self.admin_site.admin_view(self.duplicate_view),
            name="interactions_interactionschema_duplicate",
        )
        return [duplicate, *super().get_urls()]

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        tenant = acting_tenant(request)
        if request.method != "POST":
            form = InteractionSchemaBuilderForm(tenant=tenant)
            return self._builder_page(request, form, title="Add interaction schema")
        form = InteractionSchemaBuilderForm(request.POST, tenant=tenant)
        schema = form.save() if form.is_valid() else None
        if schema is None:
            return self._builder_page(request, form, title="Add interaction schema")
        self.log_addition(request, schema, [{"added": {}}])
        self.message_user(
            request, f"The interaction schema “{schema.schema_id}” was added.", messages.SUCCESS
        )
        return HttpResponseRedirect(
            reverse("admin:interactions_interactionschema_change", args=[schema.pk])
        )

    def duplicate_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The builder prefilled with a schema's display name and document, under a new id."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        source = self.get_object(request, unquote(object_id))
        if source is None:
            raise Http404("No such object.")
        form = InteractionSchemaBuilderForm(
            tenant=acting_tenant(request),
            initial={
                "id": "",
                "display_name": source.display_name,
                "json_schema": _pretty(source.json_schema),
            },
        )
        return self._builder_page(
            request, form, title=f"Duplicate interaction schema “{source.schema_id}”"
        )

    def _builder_page(
        self, request: HttpRequest, form: InteractionSchemaBuilderForm, *, title: str
    ) -> TemplateResponse:
        request.current_app = self.admin_site.name
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "has_view_permission": self.has_view_permission(request),
            "form": form,
            "property_types": PROPERTY_TYPES,
            "formats": list(FORMAT_CHECKS),
            # Read by the builder's script (through json_script: data, never code).
            "builder_data": {
                "problems": form.problem_dicts(),
                "submitted": form.is_bound,
                "maxSegmentable": form.tenant.max_segmentable_properties,
            },
            "media": self.media,
        }
        return TemplateResponse(request, _BUILDER_TEMPLATE, context)

    # --- Delete -----------------------------------------------------------------------------------

    def get_deleted_objects(
        self, objs: Sequence[Any] | QuerySet[Any], request: HttpRequest
    ) -> tuple[list[Any], dict[str, int], set[str], list[Any]]:
        """A summary instead of Django's nested list: a schema may have 100k interactions, so they
        are counted (one COUNT) and never listed."""
        schemas: list[InteractionSchema] = list(objs)
        interaction_total = Interaction.objects.filter(schema__in=schemas).count()
        deleted = [
            f"Interaction schema: {schema.schema_id} ({schema.display_name})" for schema in schemas
        ]
        deleted.append(f"{interaction_total} interactions of these schemas, with their raw copies")
        summary = {"interaction schemas": len(schemas), "interactions": interaction_total}
        return deleted, summary, set(), []

    def delete_model(self, request: HttpRequest, obj: InteractionSchema) -> None:
        interaction_schema_delete(tenant=acting_tenant(request), schema_id=obj.schema_id)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[InteractionSchema]) -> None:
        tenant = acting_tenant(request)
        for schema in queryset:
            interaction_schema_delete(tenant=tenant, schema_id=schema.schema_id)

"""Refused interactions in the admin: a list that fits the screen (filtered by whether a body was
replayed), a read-only page with the reasons as a list and the body as received, and a replay
(from the list for many, from the page for one) once the cause is fixed. Admins only (roles)."""

import re
from collections.abc import Iterator
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

from interactions.admin.base import TenantScopedAdmin, acting_tenant
from interactions.admin.interactions import raw_copy_html
from interactions.models import RefusedInteraction, Tenant
from interactions.services import raw_storage
from interactions.services.replay import ReplayRefused, refused_interaction_replay

# Characters of the reasons and the schema id shown in a list row, so that the list fits 1400 px
# with "Replayed as" in view; the whole text is in the cell's tooltip.
_REASONS_IN_A_ROW = 90
_SCHEMA_ID_IN_A_ROW = 24
# Where a PascalCase error code may wrap: before each capital but the first.
_WORD_START = re.compile(r"(?<=[a-z])(?=[A-Z])")


def _reasons(refused: RefusedInteraction) -> Iterator[tuple[str, str]]:
    """(field, reason) for each reason the refusal gave."""
    for error in refused.errors or []:
        if isinstance(error, dict):
            yield str(error.get("field", "")), str(error.get("message", ""))


class ReplayedFilter(admin.SimpleListFilter):
    title = "replayed"
    parameter_name = "replayed"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Replayed"), ("no", "Not replayed")]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[RefusedInteraction]
    ) -> QuerySet[RefusedInteraction]:
        if self.value() == "yes":
            return queryset.filter(replayed_as__isnull=False)
        if self.value() == "no":
            return queryset.filter(replayed_as__isnull=True)
        return queryset


@admin.register(RefusedInteraction)
class RefusedInteractionAdmin(TenantScopedAdmin):
    """Read-only: a refused body is kept as received, with its reasons. "Change" is the right
    to replay (``has_replay_permission``), not to edit."""

    list_display = (
        "received_at",
        "error_code_breakable",
        "schema_id_short",
        "reasons_summary",
        "replayed_as_link",
    )
    list_display_links = ("received_at",)
    list_filter = (ReplayedFilter, "error_code", "received_at")
    date_hierarchy = "received_at"
    search_fields = ("=id", "=contact_id", "schema_id")
    fields = (
        "id",
        "received_at",
        "status_code",
        "error_code",
        "reasons_list",
        "contact_id",
        "schema_id",
        "replayed_as_interaction",
        "raw_copy",
    )
    readonly_fields = fields
    actions = ("replay",)

    class Media:
        css = {"all": ("interactions/refused_interactions.css",)}

    # --- Columns and fields -----------------------------------------------------------------------

    @admin.display(description="Error code", ordering="error_code")
    def error_code_breakable(self, refused: RefusedInteraction) -> str:
        words = _WORD_START.split(refused.error_code)
        return format_html_join(mark_safe("<wbr>"), "{}", ((word,) for word in words))

    @admin.display(description="Schema id", ordering="schema_id")
    def schema_id_short(self, refused: RefusedInteraction) -> str:
        shown = Truncator(refused.schema_id).chars(_SCHEMA_ID_IN_A_ROW)
        return format_html('<span title="{}">{}</span>', refused.schema_id, shown)

    @admin.display(description="Reasons")
    def reasons_summary(self, refused: RefusedInteraction) -> str:
        text = "; ".join(f"{field}: {message}" for field, message in _reasons(refused))
        shown = Truncator(text).chars(_REASONS_IN_A_ROW)
        return format_html(
            '<span class="refusal-reasons-summary" title="{}">{}</span>', text, shown
        )

    @admin.display(description="Reasons")
    def reasons_list(self, refused: RefusedInteraction) -> str:
        items = format_html_join(
            "",
            '<li><code class="refusal-field">{}</code> <span class="refusal-reason">{}</span></li>',
            _reasons(refused),
        )
        return format_html('<ul class="refusal-reasons">{}</ul>', items)

    @admin.display(description="Replayed as")
    def replayed_as_link(self, refused: RefusedInteraction) -> str:
        if refused.replayed_as is None:
            return str(self.get_empty_value_display())
        url = reverse("admin:interactions_interaction_change", args=[refused.replayed_as])
        short = str(refused.replayed_as)[:8]
        return format_html('<a href="{}" title="{}">{}…</a>', url, refused.replayed_as, short)

    @admin.display(description="Replayed as")
    def replayed_as_interaction(self, refused: RefusedInteraction) -> str:
        if refused.replayed_as is None:
            return "not replayed"
        url = reverse("admin:interactions_interaction_change", args=[refused.replayed_as])
        return format_html('interaction <a href="{}">{}</a>', url, refused.replayed_as)

    @admin.display(description="Raw copy (as received)")
    def raw_copy(self, refused: RefusedInteraction) -> str:
        return raw_copy_html(refused.tenant_id, raw_storage.REFUSED, refused.pk)

    # --- Permissions ------------------------------------------------------------------------------

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_replay_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("interactions.change_refusedinteraction"))

    # --- Replay: from the list, and from the page -------------------------------------------------

    @admin.action(
        description="Replay: submit the body again (once the cause is fixed)",
        permissions=["replay"],
    )
    def replay(self, request: HttpRequest, queryset: QuerySet[RefusedInteraction]) -> None:
        tenant = acting_tenant(request)
        for refused in queryset:
            self._replay_and_tell(request, tenant, refused)

    def get_urls(self) -> list[URLPattern]:
        replay = path(
            "<path:object_id>/replay/",
            self.admin_site.admin_view(self.replay_view),
            name="interactions_refusedinteraction_replay",
        )
        return [replay, *super().get_urls()]

    def replay_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Replay one refused body (a POST from its page) and go back to the page."""
        refused = self.get_object(request, unquote(object_id))  # another tenant's: 404
        if not self.has_replay_permission(request):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        self._replay_and_tell(request, acting_tenant(request), refused)
        return HttpResponseRedirect(
            reverse("admin:interactions_refusedinteraction_change", args=[refused.pk])
        )

    def render_change_form(
        self, request: HttpRequest, context: dict[str, Any], *args: Any, **kwargs: Any
    ) -> Any:
        context["has_replay_permission"] = self.has_replay_permission(request)
        return super().render_change_form(request, context, *args, **kwargs)

    def _replay_and_tell(
        self, request: HttpRequest, tenant: Tenant, refused: RefusedInteraction
    ) -> None:
        try:
            interaction = refused_interaction_replay(tenant=tenant, refused=refused)
        except ReplayRefused as still:
            reasons = "; ".join(f"{p.field}: {p.message}" for p in still.refusal.problems)
            self.message_user(
                request,
                f"Refused interaction {refused.pk} is still refused: {reasons}",
                messages.ERROR,
            )
        except raw_storage.RawCopyUnavailable:
            self.message_user(
                request,
                f"Refused interaction {refused.pk} was not replayed: its raw copy can't be read "
                "right now. "
                "Try again in a moment.",
                messages.ERROR,
            )
        except ValueError as error:
            self.message_user(
                request,
                f"Refused interaction {refused.pk} was not replayed: {error}",
                messages.WARNING,
            )
        else:
            url = reverse("admin:interactions_interaction_change", args=[interaction.pk])
            self.message_user(
                request,
                format_html(
                    'Refused interaction {} was accepted as interaction <a href="{}">{}</a>.',
                    refused.pk,
                    url,
                    interaction.pk,
                ),
                messages.SUCCESS,
            )

"""Failed event deliveries (extension): the events a subscriber (segments, automations) raised on,
with their error and attempts, and their replay once the cause is fixed."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from engage_site.api.exceptions import InvalidRequest
from engage_site.api.pagination import KeysetPaginator, keyset_links
from engage_site.api.params import parse_uuid
from engage_site.api.problems import Problem
from interactions.api.base import TenantApiView
from interactions.api.docs import errors
from interactions.api.serializers import EventDeliveryOutput, EventDeliveryPageOutput
from interactions.api.views.common import EXTENSION
from interactions.selectors import event_deliveries_failed, event_delivery_get
from interactions.selectors.event_deliveries import FAILED_STATUSES
from interactions.services.event_deliveries import event_delivery_replay

PAGE_SIZE = 50
STATUSES = [str(status) for status in FAILED_STATUSES]


def _statuses(request: Request) -> list[str]:
    """The ``status`` filter (comma-separated); every failed status without one."""
    given = [value.strip() for value in request.query_params.get("status", "").split(",")]
    chosen = [value for value in given if value]
    unknown = [value for value in chosen if value not in STATUSES]
    if unknown:
        raise InvalidRequest(
            errors=[Problem("status", "enum", f"must be one of {', '.join(STATUSES)}")]
        )
    return sorted(set(chosen)) or STATUSES


class EventDeliveryFailedCollectionApi(TenantApiView):
    """The tenant's failed event deliveries, newest first, 50 a page (extension)."""

    @extend_schema(
        operation_id="events_failed_list",
        tags=EXTENSION,
        parameters=[
            OpenApiParameter(
                "status",
                str,
                many=True,
                enum=STATUSES,
                style="form",
                explode=False,
                description="Only deliveries in one of these statuses, comma-separated "
                "(`status=parked`); all three without it.",
            ),
            OpenApiParameter(
                "continuation",
                str,
                description="From the `next` link; valid only with the filter it was made for.",
            ),
        ],
        responses={200: EventDeliveryPageOutput, **errors(400)},
        description="Events a subscriber (segments, automations) raised on: retried with "
        "exponential back-off, then parked until replayed.",
    )
    def get(self, request: Request, version: str) -> Response:
        statuses = _statuses(request)
        deliveries = event_deliveries_failed(tenant=self.tenant, statuses=statuses)
        # The token is bound to the filter too: it can't continue a differently filtered listing.
        scope = f"events-failed:{self.tenant.pk}:{','.join(statuses)}"
        page = KeysetPaginator(deliveries, key="created_at", scope=scope, size=PAGE_SIZE).page(
            request.query_params.get("continuation")
        )
        query = {"status": ",".join(statuses)} if "status" in request.query_params else {}
        links = keyset_links(request=request, page=page, query=query)
        return Response({"links": links, "items": EventDeliveryOutput(page.items, many=True).data})


class EventDeliveryFailedReplayApi(TenantApiView):
    """Hand a failed or parked event to its subscriber again (extension)."""

    @extend_schema(
        operation_id="events_failed_replay",
        tags=EXTENSION,
        request=None,
        responses={200: EventDeliveryOutput, **errors(400, 404, 409)},
        description="Hands the event to the subscriber that raised on it again, in the "
        "background, at once: answers the delivery, `retrying` and due now. It becomes "
        "`delivered`, or, if it fails again, shows its new error (a parked event is parked "
        "again). 409 for an event delivered already or waiting behind an earlier one.",
    )
    def post(self, request: Request, version: str, delivery_id: str) -> Response:
        delivery = event_delivery_get(
            tenant=self.tenant, delivery_id=parse_uuid(delivery_id, field="deliveryId")
        )

        def replay() -> object:
            replayed = event_delivery_replay(tenant=self.tenant, delivery=delivery)
            return EventDeliveryOutput(replayed).data

        return self.idempotent_write(None, write=replay)

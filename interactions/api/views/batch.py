"""Interactions in batches (extension): up to 1,000 in one request, each judged as a single POST."""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from engage_site.api.exceptions import InvalidRequest
from engage_site.api.parsers import loads_strict_with_items
from engage_site.api.problems import Problem
from interactions.api.base import TenantApiView
from interactions.api.docs import BODY_ERRORS, errors
from interactions.api.serializers import InteractionBatchInput, InteractionBatchOutput
from interactions.api.throttling import items_admit
from interactions.api.views.common import EXTENSION, batch_shape_problems
from interactions.models import InteractionEvent
from interactions.services.ingest import ItemResult, interactions_receive_many

ITEMS = "interactions"
FIRE_AUTOMATIONS = "fireAutomations"


@dataclass(frozen=True)
class Batch:
    document: dict[str, Any]
    items: list[Any]
    bodies: list[bytes]
    fire_automations: bool


def _batch(raw: bytes) -> Batch:
    """The batch in the body, with each item's own bytes (its raw copy); 400 for a body that is
    not a batch (the items themselves are judged one by one, later)."""
    document, bodies = loads_strict_with_items(raw, ITEMS)
    problems = batch_shape_problems(
        document,
        member=ITEMS,
        others=(FIRE_AUTOMATIONS,),
        most=int(settings.API_BATCH_MAX_ITEMS),
        noun="interactions",
    )
    if not isinstance(document, dict):
        raise InvalidRequest(errors=problems)
    items = document.get(ITEMS)
    fire = document.get(FIRE_AUTOMATIONS, True)
    if not isinstance(fire, bool):
        problems.append(Problem(FIRE_AUTOMATIONS, "type", "must be true or false"))
    if problems:
        raise InvalidRequest(errors=problems)
    assert isinstance(items, list) and bodies is not None  # noqa: S101 - checked above
    return Batch(document=document, items=items, bodies=bodies, fire_automations=fire)


def _result_out(index: int, result: ItemResult) -> dict[str, Any]:
    out: dict[str, Any] = {"index": index, "status": result.status}
    if result.refusal is None:
        out["id"] = str(result.interaction_id)
        if result.dropped:
            out["droppedProperties"] = [problem.as_dict() for problem in result.dropped]
        return out
    out["errorCode"] = result.refusal.error.error_code
    out["errors"] = [problem.as_dict() for problem in result.refusal.problems]
    if result.refused_id is not None:
        out["refusedId"] = str(result.refused_id)
    return out


def _batch_out(results: list[ItemResult]) -> dict[str, Any]:
    accepted = sum(1 for result in results if result.refusal is None)
    return {
        "accepted": accepted,
        "refused": len(results) - accepted,
        "results": [_result_out(index, result) for index, result in enumerate(results)],
    }


class InteractionBatchApi(TenantApiView):
    """Send up to 1,000 interactions at once (extension)."""

    max_body_setting = "API_BATCH_MAX_BODY_BYTES"

    @extend_schema(
        operation_id="interactions_batch",
        tags=EXTENSION,
        description=(
            "Every item is checked exactly as POST interactions checks its body (dropped "
            "properties, refusals kept with their reasons and raw copies, createdDate rules); the "
            "answer is 200 with one result per item, in order. The accepted items are stored in "
            "one transaction, each with its own text as its raw copy. An Idempotency-Key covers "
            "the whole batch. The batch counts as one request against the key's request rate and "
            "its items against the key's item rate (API_ITEM_RATE_LIMIT_PER_SECOND). The body may "
            "be up to API_BATCH_MAX_BODY_BYTES (4 MiB), each item up to API_MAX_BODY_BYTES."
        ),
        request=InteractionBatchInput,
        responses={200: InteractionBatchOutput, **errors(*BODY_ERRORS)},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)],
    )
    def post(self, request: Request, version: str) -> Response:
        batch = _batch(request.body)
        items_admit(api_key=self.api_key, count=len(batch.items))
        received_at = timezone.now()
        # Automations don't fire for imported interactions; segments see them all the same.
        source = InteractionEvent.Source.API
        if not batch.fire_automations:
            source = InteractionEvent.Source.IMPORT

        def receive() -> Any:
            results = interactions_receive_many(
                tenant=self.tenant,
                documents=batch.items,
                bodies=batch.bodies,
                received_at=received_at,
                source=source,
            )
            return _batch_out(results)

        return self.idempotent_write(batch.document, write=receive)

"""Interactions: send them, page through a contact's, read or delete one, read its raw copy."""

from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from engage_site.api.pagination import KeysetPaginator, keyset_links
from engage_site.api.params import parse_uuid, required_query
from interactions.api import dropped_properties
from interactions.api.base import TenantApiView
from interactions.api.docs import BODY_ERRORS, errors
from interactions.api.serializers import (
    SCHEMA_ID_PATTERN,
    InteractionCreatedOutput,
    InteractionCreateInput,
    InteractionOutput,
    InteractionPageOutput,
)
from interactions.api.views.common import EXTENSION, absolute_url, raw_copy_read
from interactions.models import Interaction
from interactions.selectors import (
    contact_get,
    interaction_get,
    interaction_list,
    interaction_schema_get,
)
from interactions.services import raw_storage
from interactions.services.interactions import interaction_delete, interaction_receive

PAGE_SIZE = 50


def _interaction_created_result(request: Request, version: str, interaction: Interaction) -> Any:
    """What the idempotency record keeps of an accepted interaction: the response body with the
    full ``droppedProperties``, from which every answer (the first and each replay) is presented."""
    href = absolute_url(request, version, "interaction-detail", interaction_id=interaction.pk)
    return InteractionCreatedOutput(
        {
            "id": interaction.pk,
            "self": {
                "contactId": interaction.contact_id,
                "href": href,
                "created": interaction.received_at,
            },
            "droppedProperties": interaction.dropped_properties,
        }
    ).data


class InteractionCollectionApi(TenantApiView):
    """Send interactions, list a contact's interactions of a schema, or fetch/delete
    one by query."""

    @extend_schema(
        operation_id="interactions_list",
        description=(
            "With contactId and schemaId: a page of that contact's interactions of that schema, "
            "newest createdDate first, 50 a page; follow the link with rel next. "
            "With interactionId only: that one interaction."
        ),
        parameters=[
            OpenApiParameter("contactId", OpenApiTypes.UUID),
            OpenApiParameter("schemaId", str, pattern=SCHEMA_ID_PATTERN),
            OpenApiParameter("continuation", str),
            OpenApiParameter("interactionId", OpenApiTypes.UUID),
        ],
        responses={
            200: OpenApiResponse(
                InteractionPageOutput,
                description="A page; or, with interactionId, one interaction (InteractionOutput).",
            ),
            **errors(400, 404),
        },
    )
    def get(self, request: Request, version: str) -> Response:
        if "interactionId" in request.query_params:
            interaction_id = parse_uuid(
                request.query_params["interactionId"], field="interactionId"
            )
            interaction = interaction_get(tenant=self.tenant, interaction_id=interaction_id)
            return Response(InteractionOutput(interaction).data)
        contact_id = parse_uuid(required_query(request, "contactId"), field="contactId")
        schema_id = required_query(request, "schemaId")
        contact = contact_get(tenant=self.tenant, contact_id=contact_id)
        schema = interaction_schema_get(tenant=self.tenant, schema_id=schema_id)
        page = KeysetPaginator(
            interaction_list(tenant=self.tenant, contact=contact, schema=schema),
            key="created_date",
            scope=f"{self.tenant.pk}:{contact.pk}:{schema.pk}",
            size=PAGE_SIZE,
        ).page(request.query_params.get("continuation"))
        links = keyset_links(
            request=request,
            page=page,
            query={"contactId": str(contact.pk), "schemaId": schema.schema_id},
        )
        return Response({"links": links, "items": InteractionOutput(page.items, many=True).data})

    @extend_schema(
        operation_id="interactions_create",
        description=(
            "Properties that don't match the schema are dropped from the stored payload (kept in "
            "the raw copy) and the interaction is still accepted. The body has exactly Engage's "
            "keys; the Engage-Dropped-Properties header names what was dropped, and "
            "?include=droppedProperties adds the full list to the body."
        ),
        request=InteractionCreateInput,
        responses={200: InteractionCreatedOutput, **errors(*BODY_ERRORS, 404)},
        parameters=[
            OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER),
            OpenApiParameter(
                "include",
                str,
                enum=[dropped_properties.INCLUDE],
                description=(
                    "droppedProperties: also list the dropped properties, with a code and a "
                    "message each, in the body (an extension: Engage's body has no such key)."
                ),
            ),
            OpenApiParameter(
                dropped_properties.HEADER,
                str,
                OpenApiParameter.HEADER,
                response=[200],
                description=(
                    "The dotted fields of the dropped properties, comma-separated "
                    "(payload.created, payload.price); absent when nothing was dropped. Names "
                    "holding a comma, a space, '%' or non-ASCII characters are percent-encoded "
                    "(UTF-8); a list longer than 2048 characters is cut after a whole field and "
                    "ends in '...'."
                ),
            ),
        ],
    )
    def post(self, request: Request, version: str) -> Response:
        document = self.json_body()
        include_dropped = dropped_properties.include_dropped_properties(request)
        received_at = timezone.now()

        def receive() -> Any:
            interaction = interaction_receive(
                tenant=self.tenant, document=document, body=request.body, received_at=received_at
            )
            return _interaction_created_result(request, version, interaction)

        def present(result: Any) -> tuple[Any, dict[str, str]]:
            return dropped_properties.interaction_created_presented(
                result, include_dropped=include_dropped
            )

        return self.idempotent_write(document, write=receive, present=present)

    @extend_schema(
        operation_id="interactions_delete_by_query",
        parameters=[OpenApiParameter("interactionId", OpenApiTypes.UUID, required=True)],
        responses={204: None, **errors(400, 404)},
    )
    def delete(self, request: Request, version: str) -> Response:
        interaction_id = parse_uuid(required_query(request, "interactionId"), field="interactionId")
        interaction = interaction_get(tenant=self.tenant, interaction_id=interaction_id)
        interaction_delete(tenant=self.tenant, interaction=interaction)
        return Response(status=204)


class InteractionDetailApi(TenantApiView):
    """One interaction by its id."""

    @extend_schema(
        operation_id="interactions_retrieve", responses={200: InteractionOutput, **errors(400, 404)}
    )
    def get(self, request: Request, version: str, interaction_id: str) -> Response:
        interaction = interaction_get(
            tenant=self.tenant, interaction_id=parse_uuid(interaction_id, field="interactionId")
        )
        return Response(InteractionOutput(interaction).data)

    @extend_schema(operation_id="interactions_delete", responses={204: None, **errors(400, 404)})
    def delete(self, request: Request, version: str, interaction_id: str) -> Response:
        interaction = interaction_get(
            tenant=self.tenant, interaction_id=parse_uuid(interaction_id, field="interactionId")
        )
        interaction_delete(tenant=self.tenant, interaction=interaction)
        return Response(status=204)


class InteractionRawApi(TenantApiView):
    """The raw copy of an interaction (extension)."""

    @extend_schema(
        operation_id="interactions_raw",
        tags=EXTENSION,
        description="The request body of the interaction exactly as it was received.",
        responses={
            (200, "application/json"): OpenApiResponse(OpenApiTypes.OBJECT),
            **errors(400, 404, 503),
        },
    )
    def get(self, request: Request, version: str, interaction_id: str) -> HttpResponse:
        interaction = interaction_get(
            tenant=self.tenant, interaction_id=parse_uuid(interaction_id, field="interactionId")
        )
        body = raw_copy_read(
            raw_storage.raw_copy_path(
                tenant_id=self.tenant.pk, kind=raw_storage.INTERACTIONS, object_id=interaction.pk
            )
        )
        return HttpResponse(body, content_type="application/json")

"""Interaction schemas: list, create, read and delete them."""

from typing import Any

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from engage_site.api.exceptions import InvalidRequest
from engage_site.api.params import required_query
from engage_site.api.problems import Problem
from interactions.api.base import TenantApiView
from interactions.api.docs import BODY_ERRORS, errors
from interactions.api.serializers import (
    SCHEMA_ID_PATTERN,
    InteractionSchemaCreatedOutput,
    InteractionSchemaCreateInput,
    InteractionSchemaOutput,
    InteractionSchemaSummaryOutput,
)
from interactions.api.views.common import absolute_url
from interactions.exceptions import InteractionSchemaLimitExceeded
from interactions.selectors import interaction_schema_get, interaction_schema_list
from interactions.services.schemas import (
    SCHEMA_ENVELOPE_BYTES,
    interaction_schema_create,
    interaction_schema_delete,
    schema_size_problem,
)

_SCHEMA_ID_QUERY = OpenApiParameter(
    "interactionSchemaId", str, required=True, pattern=SCHEMA_ID_PATTERN
)
_SCHEMA_ID_PATH = OpenApiParameter(
    "schema_id", str, OpenApiParameter.PATH, pattern=SCHEMA_ID_PATTERN
)


class InteractionSchemaCollectionApi(TenantApiView):
    """The tenant's interaction schemas: list them, create one, delete one by query."""

    @extend_schema(
        operation_id="interactionschemas_list",
        responses={200: InteractionSchemaSummaryOutput(many=True), **errors()},
    )
    def get(self, request: Request, version: str) -> Response:
        schemas = interaction_schema_list(tenant=self.tenant)
        return Response(InteractionSchemaSummaryOutput(schemas, many=True).data)

    @extend_schema(
        operation_id="interactionschemas_create",
        request=InteractionSchemaCreateInput,
        responses={200: InteractionSchemaCreatedOutput, **errors(*BODY_ERRORS)},
    )
    def post(self, request: Request, version: str) -> Response:
        # A body this much larger than the schema limit can't hold a valid schema: refuse it before
        # spending time on parsing it.
        if len(request.body) > settings.SCHEMA_MAX_BYTES + SCHEMA_ENVELOPE_BYTES:
            raise InteractionSchemaLimitExceeded(errors=[schema_size_problem(len(request.body))])
        document = self.json_body()
        if not isinstance(document, dict):
            raise InvalidRequest(errors=[Problem("body", "type", "must be a JSON object")])

        def create() -> Any:
            schema = interaction_schema_create(
                tenant=self.tenant,
                schema_id=document.get("id"),
                display_name=document.get("displayName"),
                json_schema=document.get("jsonSchema"),
            )
            href = absolute_url(
                request, version, "interactionschema-detail", schema_id=schema.schema_id
            )
            return InteractionSchemaCreatedOutput(
                {"id": schema.schema_id, "self": {"href": href, "created": schema.created_at}}
            ).data

        return self.idempotent_write(document, write=create)

    @extend_schema(
        operation_id="interactionschemas_delete_by_query",
        parameters=[_SCHEMA_ID_QUERY],
        responses={204: None, **errors(400, 404)},
    )
    def delete(self, request: Request, version: str) -> Response:
        schema_id = required_query(request, "interactionSchemaId")
        interaction_schema_delete(tenant=self.tenant, schema_id=schema_id)
        return Response(status=204)


class InteractionSchemaDetailApi(TenantApiView):
    """One interaction schema by its id."""

    @extend_schema(
        operation_id="interactionschemas_retrieve",
        parameters=[_SCHEMA_ID_PATH],
        responses={200: InteractionSchemaOutput, **errors(404)},
    )
    def get(self, request: Request, version: str, schema_id: str) -> Response:
        schema = interaction_schema_get(tenant=self.tenant, schema_id=schema_id)
        return Response(InteractionSchemaOutput(schema).data)

    @extend_schema(
        operation_id="interactionschemas_delete",
        parameters=[_SCHEMA_ID_PATH],
        responses={204: None, **errors(404)},
    )
    def delete(self, request: Request, version: str, schema_id: str) -> Response:
        interaction_schema_delete(tenant=self.tenant, schema_id=schema_id)
        return Response(status=204)

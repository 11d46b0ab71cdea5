"""The automations extension of the API: CRUD for automations, reading their runs."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from automations.api.serializers import (
    AutomationCreatedOutput,
    AutomationInput,
    AutomationOutput,
    AutomationRunOutput,
    AutomationRunPageOutput,
)
from automations.filters import AutomationRunFilter
from automations.models import Automation, AutomationRun
from automations.selectors import (
    automation_get,
    automation_list,
    automation_run_get,
    automation_runs,
    schemas_by_id,
)
from automations.services.automations import (
    automation_create,
    automation_delete,
    automation_update,
)
from engage_site.api.exceptions import InvalidRequest
from engage_site.api.pagination import KeysetPaginator, keyset_links
from engage_site.api.problems import Problem
from interactions.public import BODY_ERRORS, InteractionSchema, Tenant, TenantApiView, errors

EXTENSION = ["extension"]
RUN_PAGE_SIZE = 50


def _fields(tenant: Tenant, data: dict[str, Any]) -> tuple[dict[str, Any], list[InteractionSchema]]:
    """Validated input as service arguments; schema ids the tenant has not are a 400."""
    wanted = [*data["schemaIds"], *([data["schemaId"]] if data["schemaId"] else [])]
    found = schemas_by_id(tenant=tenant, schema_ids=wanted)
    unknown = [
        Problem(field, "invalid", f"names no interaction schema ({schema_id})")
        for field, schema_id in [
            *(("schemaIds", schema_id) for schema_id in data["schemaIds"]),
            *((("schemaId", data["schemaId"]),) if data["schemaId"] else ()),
        ]
        if schema_id not in found
    ]
    if unknown:
        raise InvalidRequest("The automation is not valid.", errors=unknown)
    fields = {
        "name": data["name"],
        "is_active": data["active"],
        "trigger": data["trigger"],
        "schema": found.get(data["schemaId"]) if data["schemaId"] else None,
        "property_name": data["property"],
        "operator": data["operator"],
        "condition_value": data["value"],
        "entry_rule": data["entryRule"],
        "entry_period_days": data["entryPeriodDays"],
        "actions": data["actions"],
    }
    return fields, [found[schema_id] for schema_id in data["schemaIds"]]


def _input(request: Request, view: TenantApiView) -> dict[str, Any]:
    body = view.json_body()
    serializer = AutomationInput(data=body)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _created(automation: Automation) -> dict[str, Any]:
    return {**_output(automation), "signingSecret": automation.webhook_secret}


def _output(automation: Automation) -> Any:
    fresh = automation_get(tenant=automation.tenant, automation_id=automation.public_id)
    return AutomationOutput(fresh).data


class AutomationCollectionApi(TenantApiView):
    """The tenant's automations."""

    @extend_schema(
        operation_id="automations_list",
        tags=EXTENSION,
        responses={200: AutomationOutput(many=True), **errors()},
    )
    def get(self, request: Request, version: str) -> Response:
        return Response(AutomationOutput(automation_list(tenant=self.tenant), many=True).data)

    @extend_schema(
        operation_id="automations_create",
        tags=EXTENSION,
        request=AutomationInput,
        responses={201: AutomationCreatedOutput, **errors(*BODY_ERRORS)},
    )
    def post(self, request: Request, version: str) -> Response:
        fields, schemas = _fields(self.tenant, _input(request, self))
        # The signing secret is shown this once (and on rotation), never on reads.
        return self.idempotent_write(
            self.json_body(),
            write=lambda: _created(
                automation_create(tenant=self.tenant, schemas=schemas, **fields)
            ),
            status=201,
        )


class AutomationDetailApi(TenantApiView):
    """One automation by id: read, replace, delete."""

    @extend_schema(
        operation_id="automations_retrieve",
        tags=EXTENSION,
        responses={200: AutomationOutput, **errors(404)},
    )
    def get(self, request: Request, version: str, automation_id: str) -> Response:
        automation = automation_get(tenant=self.tenant, automation_id=automation_id)
        return Response(AutomationOutput(automation).data)

    @extend_schema(
        operation_id="automations_update",
        tags=EXTENSION,
        request=AutomationInput,
        responses={200: AutomationOutput, **errors(404, *BODY_ERRORS)},
    )
    def put(self, request: Request, version: str, automation_id: str) -> Response:
        automation = automation_get(tenant=self.tenant, automation_id=automation_id)
        fields, schemas = _fields(self.tenant, _input(request, self))
        automation_update(automation=automation, schemas=schemas, **fields)
        return Response(_output(automation))

    @extend_schema(
        operation_id="automations_delete",
        tags=EXTENSION,
        responses={204: None, **errors(404)},
    )
    def delete(self, request: Request, version: str, automation_id: str) -> Response:
        automation = automation_get(tenant=self.tenant, automation_id=automation_id)
        automation_delete(automation=automation)
        return Response(status=204)


class AutomationRunCollectionApi(TenantApiView):
    """An automation's runs, newest first, 50 a page, with their attempts; by status and contact."""

    @extend_schema(
        operation_id="automations_runs_list",
        tags=EXTENSION,
        parameters=[
            OpenApiParameter(
                "status",
                str,
                many=True,
                enum=AutomationRun.Status.values,
                style="form",
                explode=False,
                description="Only runs in one of these statuses, comma-separated "
                "(`status=failed,pending`).",
            ),
            OpenApiParameter(
                "contactId", OpenApiTypes.UUID, description="Only this contact's runs."
            ),
            OpenApiParameter(
                "continuation",
                str,
                description="From the `next` link; valid only with the filters it was made for.",
            ),
        ],
        responses={200: AutomationRunPageOutput, **errors(400, 404)},
    )
    def get(self, request: Request, version: str, automation_id: str) -> Response:
        automation = automation_get(tenant=self.tenant, automation_id=automation_id)
        filters = AutomationRunFilter(request.query_params)
        runs = automation_runs(tenant=self.tenant, automation=automation, filters=filters)
        # The token is bound to the filters too: it can't continue a differently filtered listing.
        scope = f"automation-runs:{self.tenant.pk}:{automation.pk}"
        if filtered := filters.query_string():
            scope = f"{scope}:{filtered}"
        page = KeysetPaginator(runs, key="created_at", scope=scope, size=RUN_PAGE_SIZE).page(
            request.query_params.get("continuation")
        )
        links = keyset_links(request=request, page=page, query=filters.query())
        return Response({"links": links, "items": AutomationRunOutput(page.items, many=True).data})


class AutomationRunDetailApi(TenantApiView):
    """One run with its attempts."""

    @extend_schema(
        operation_id="automations_runs_retrieve",
        tags=EXTENSION,
        responses={200: AutomationRunOutput, **errors(404)},
    )
    def get(self, request: Request, version: str, automation_id: str, run_id: str) -> Response:
        automation = automation_get(tenant=self.tenant, automation_id=automation_id)
        run = automation_run_get(tenant=self.tenant, automation=automation, run_id=run_id)
        return Response(AutomationRunOutput(run).data)

"""The core API: interaction schemas, interactions, refused interactions and contacts.

Views are thin: read the request, call one selector or service, shape the answer.
"""

from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from engage_site.api.exceptions import InvalidRequest, NotFound
from engage_site.api.pagination import KeysetPaginator, keyset_links
from engage_site.api.problems import Problem
from interactions.api.base import TenantApiView
from interactions.api.docs import BODY_ERRORS, errors
from interactions.api.serializers import (
    ContactCreateInput,
    ContactOutput,
    InteractionCreatedOutput,
    InteractionCreateInput,
    InteractionOutput,
    InteractionPageOutput,
    InteractionSchemaCreatedOutput,
    InteractionSchemaCreateInput,
    InteractionSchemaOutput,
    InteractionSchemaSummaryOutput,
    PingOutput,
    RefusedInteractionOutput,
    TagInput,
)
from interactions.exceptions import (
    ContactNotFound,
    InteractionSchemaLimitExceeded,
    MultipleMatches,
    RawCopyNotAvailable,
)
from interactions.models import Interaction
from interactions.selectors import (
    contact_count,
    contact_get,
    contact_ids_matching,
    interaction_get,
    interaction_list,
    interaction_schema_get,
    interaction_schema_list,
    parse_uuid,
    refused_interaction_get,
)
from interactions.services import raw_storage
from interactions.services.contacts import contact_create, contact_erase
from interactions.services.interactions import (
    Refusal,
    interaction_check,
    interaction_create,
    interaction_delete,
    interaction_refuse,
    refusal_error,
)
from interactions.services.schemas import (
    SCHEMA_ENVELOPE_BYTES,
    interaction_schema_create,
    interaction_schema_delete,
    schema_size_problem,
)
from interactions.services.tags import contact_tag_add, contact_tag_names, contact_tag_remove

PAGE_SIZE = 50
EXTENSION = ["extension"]


def _required_query(request: Request, name: str) -> str:
    value = request.query_params.get(name, "").strip()
    if not value:
        raise InvalidRequest(
            f"The query parameter {name} is required.",
            errors=[Problem(name, "required", "is required")],
        )
    return value


def _absolute(request: Request, version: str, name: str, **kwargs: Any) -> str:
    """The absolute URL of route ``name`` under the prefix (v2 or v3) the request used."""
    return request.build_absolute_uri(reverse(f"{version}:{name}", kwargs=kwargs))


# --- Interaction schemas --------------------------------------------------------------------------

_SCHEMA_ID_QUERY = OpenApiParameter("interactionSchemaId", str, required=True)


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
        with self.idempotency_guard(document) as guard:
            if guard.replay:
                return Response(guard.replay.body, status=guard.replay.status)
            with transaction.atomic():
                schema = interaction_schema_create(
                    tenant=self.tenant,
                    schema_id=document.get("id"),
                    display_name=document.get("displayName"),
                    json_schema=document.get("jsonSchema"),
                )
                href = _absolute(
                    request, version, "interactionschema-detail", schema_id=schema.schema_id
                )
                body = InteractionSchemaCreatedOutput(
                    {"id": schema.schema_id, "self": {"href": href, "created": schema.created_at}}
                ).data
                guard.complete(200, body)
        return Response(body)

    @extend_schema(
        operation_id="interactionschemas_delete_by_query",
        parameters=[_SCHEMA_ID_QUERY],
        responses={204: None, **errors(400, 404)},
    )
    def delete(self, request: Request, version: str) -> Response:
        schema_id = _required_query(request, "interactionSchemaId")
        interaction_schema_delete(tenant=self.tenant, schema_id=schema_id)
        return Response(status=204)


class InteractionSchemaDetailApi(TenantApiView):
    """One interaction schema by its id."""

    @extend_schema(
        operation_id="interactionschemas_retrieve",
        responses={200: InteractionSchemaOutput, **errors(404)},
    )
    def get(self, request: Request, version: str, schema_id: str) -> Response:
        schema = interaction_schema_get(tenant=self.tenant, schema_id=schema_id)
        return Response(InteractionSchemaOutput(schema).data)

    @extend_schema(operation_id="interactionschemas_delete", responses={204: None, **errors(404)})
    def delete(self, request: Request, version: str, schema_id: str) -> Response:
        interaction_schema_delete(tenant=self.tenant, schema_id=schema_id)
        return Response(status=204)


# --- Interactions ---------------------------------------------------------------------------------


def _interaction_created_body(request: Request, version: str, interaction: Interaction) -> Any:
    href = _absolute(request, version, "interaction-detail", interaction_id=interaction.pk)
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
            OpenApiParameter("schemaId", str),
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
        contact_id = parse_uuid(_required_query(request, "contactId"), field="contactId")
        schema_id = _required_query(request, "schemaId")
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
        request=InteractionCreateInput,
        responses={200: InteractionCreatedOutput, **errors(*BODY_ERRORS, 404)},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)],
    )
    def post(self, request: Request, version: str) -> Response:
        document = self.json_body()
        received_at = timezone.now()
        with self.idempotency_guard(document) as guard:
            if guard.replay:
                return Response(guard.replay.body, status=guard.replay.status)
            checked = interaction_check(tenant=self.tenant, document=document)
            if isinstance(checked, Refusal):
                refused = interaction_refuse(
                    tenant=self.tenant, refusal=checked, body=request.body, received_at=received_at
                )
                raise refusal_error(checked, refused)
            with transaction.atomic():
                interaction = interaction_create(
                    tenant=self.tenant, draft=checked, body=request.body, received_at=received_at
                )
                body = _interaction_created_body(request, version, interaction)
                guard.complete(200, body)
        return Response(body)

    @extend_schema(
        operation_id="interactions_delete_by_query",
        parameters=[OpenApiParameter("interactionId", OpenApiTypes.UUID, required=True)],
        responses={204: None, **errors(400, 404)},
    )
    def delete(self, request: Request, version: str) -> Response:
        interaction_id = parse_uuid(
            _required_query(request, "interactionId"), field="interactionId"
        )
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


def _raw_copy(path: str) -> bytes:
    try:
        return raw_storage.raw_copy_read(path=path)
    except raw_storage.RawCopyUnavailable:
        raise RawCopyNotAvailable() from None


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
        body = _raw_copy(
            raw_storage.raw_copy_path(
                tenant_id=self.tenant.pk, kind=raw_storage.INTERACTIONS, object_id=interaction.pk
            )
        )
        return HttpResponse(body, content_type="application/json")


class RefusedInteractionDetailApi(TenantApiView):
    """A refused interaction POST with its reasons and raw body (extension)."""

    @extend_schema(
        operation_id="refusedinteractions_retrieve",
        tags=EXTENSION,
        responses={200: RefusedInteractionOutput, **errors(400, 404, 503)},
    )
    def get(self, request: Request, version: str, refused_id: str) -> Response:
        refused = refused_interaction_get(
            tenant=self.tenant, refused_id=parse_uuid(refused_id, field="refusedId")
        )
        body = _raw_copy(
            raw_storage.raw_copy_path(
                tenant_id=self.tenant.pk, kind=raw_storage.REFUSED, object_id=refused.pk
            )
        )
        refused.raw = body.decode("utf-8")  # type: ignore[attr-defined]
        return Response(RefusedInteractionOutput(refused).data)


# --- Contacts -------------------------------------------------------------------------------------

_NAMED_ATTRIBUTES = {
    "contactType": "contact_type",
    "email": "email",
    "mobilePhone": "mobile_phone",
    "externalId": "external_id",
    "firstName": "first_name",
    "lastName": "last_name",
}


class ContactCollectionApi(TenantApiView):
    """Create contacts."""

    @extend_schema(
        operation_id="contacts_create",
        request=ContactCreateInput,
        responses={201: ContactOutput, **errors(*BODY_ERRORS)},
    )
    def post(self, request: Request, version: str) -> Response:
        document = self.json_body()
        if not isinstance(document, dict):
            raise InvalidRequest(errors=[Problem("body", "type", "must be a JSON object")])
        named = ContactCreateInput(data={k: v for k, v in document.items() if v is not None})
        named.is_valid(raise_exception=True)
        extra = {
            key: value
            for key, value in document.items()
            if key not in _NAMED_ATTRIBUTES and key != "id"
        }
        with self.idempotency_guard(document) as guard:
            if guard.replay:
                return Response(guard.replay.body, status=guard.replay.status)
            with transaction.atomic():
                contact = contact_create(
                    tenant=self.tenant,
                    extra_attributes=extra,
                    **{
                        _NAMED_ATTRIBUTES[key]: value for key, value in named.validated_data.items()
                    },
                )
                body = ContactOutput(contact).data
                guard.complete(201, body)
        return Response(body, status=201)


class ContactDetailApi(TenantApiView):
    """One contact; deleting it erases everything about it."""

    @extend_schema(
        operation_id="contacts_retrieve", responses={200: ContactOutput, **errors(400, 404)}
    )
    def get(self, request: Request, version: str, contact_id: str) -> Response:
        contact = contact_get(
            tenant=self.tenant, contact_id=parse_uuid(contact_id, field="contactId")
        )
        return Response(ContactOutput(contact).data)

    @extend_schema(
        operation_id="contacts_delete",
        description="Erases the contact and everything about it.",
        responses={204: None, **errors(400, 404)},
    )
    def delete(self, request: Request, version: str, contact_id: str) -> Response:
        contact = contact_get(
            tenant=self.tenant, contact_id=parse_uuid(contact_id, field="contactId")
        )
        contact_erase(tenant=self.tenant, contact=contact)
        return Response(status=204)


class ContactTagCollectionApi(TenantApiView):
    """A contact's tags (extension): list them, or add one."""

    @extend_schema(
        operation_id="contacts_tags_list",
        tags=EXTENSION,
        responses={200: OpenApiTypes.OBJECT, **errors(400, 404)},
        description="The tag names on the contact, sorted.",
    )
    def get(self, request: Request, version: str, contact_id: str) -> Response:
        contact = contact_get(
            tenant=self.tenant, contact_id=parse_uuid(contact_id, field="contactId")
        )
        return Response(contact_tag_names(contact=contact))

    @extend_schema(
        operation_id="contacts_tags_add",
        tags=EXTENSION,
        request=TagInput,
        responses={200: OpenApiTypes.OBJECT, **errors(*BODY_ERRORS, 404)},
        description="Adds a tag (made if new); answers the contact's tag names.",
    )
    def post(self, request: Request, version: str, contact_id: str) -> Response:
        contact = contact_get(
            tenant=self.tenant, contact_id=parse_uuid(contact_id, field="contactId")
        )
        document = self.json_body()
        name = document.get("name") if isinstance(document, dict) else None
        contact_tag_add(tenant=self.tenant, contact=contact, name=name)  # type: ignore[arg-type]
        return Response(contact_tag_names(contact=contact))


class ContactTagDetailApi(TenantApiView):
    """One tag on a contact (extension)."""

    @extend_schema(
        operation_id="contacts_tags_remove",
        tags=EXTENSION,
        responses={204: None, **errors(400, 404)},
    )
    def delete(self, request: Request, version: str, contact_id: str, name: str) -> Response:
        contact = contact_get(
            tenant=self.tenant, contact_id=parse_uuid(contact_id, field="contactId")
        )
        if not contact_tag_remove(tenant=self.tenant, contact=contact, name=name):
            raise NotFound("The contact has no such tag.")
        return Response(status=204)


class ContactCountApi(TenantApiView):
    """How many contacts the tenant has."""

    @extend_schema(operation_id="contacts_count", responses={200: OpenApiTypes.INT, **errors()})
    def get(self, request: Request, version: str) -> Response:
        return Response(contact_count(tenant=self.tenant))


class ContactIdLookupApi(TenantApiView):
    """The id of the contact with an email, mobile phone or external id."""

    @extend_schema(
        operation_id="contacts_id",
        parameters=[
            OpenApiParameter("email", str),
            OpenApiParameter("mobilePhone", str),
            OpenApiParameter("externalId", str),
        ],
        responses={200: OpenApiTypes.UUID, **errors(400, 404, 409)},
    )
    def get(self, request: Request, version: str) -> Response:
        given = {
            key: request.query_params.get(key, "").strip()
            for key in ("email", "mobilePhone", "externalId")
            if request.query_params.get(key, "").strip()
        }
        if len(given) != 1:
            raise InvalidRequest(
                "Give exactly one of email, mobilePhone, externalId.",
                errors=[
                    Problem(
                        "email", "required", "give exactly one of email, mobilePhone, externalId"
                    )
                ],
            )
        ids = contact_ids_matching(
            tenant=self.tenant,
            email=given.get("email", ""),
            mobile_phone=given.get("mobilePhone", ""),
            external_id=given.get("externalId", ""),
        )
        if not ids:
            raise ContactNotFound("No contact matches.")
        if len(ids) > 1:
            raise MultipleMatches(extra={"multipleMatchesFound": [str(i) for i in ids]})
        return Response(str(ids[0]))


class PingApi(TenantApiView):
    """Checks an API key (extension)."""

    @extend_schema(
        operation_id="ping",
        tags=EXTENSION,
        description="Checks a key: answers with the tenant it belongs to.",
        responses={200: PingOutput, **errors()},
    )
    def get(self, request: Request, version: str) -> Response:
        return Response({"tenant": self.tenant.slug})

"""Contacts: create one, read or erase one, count them, find one's id."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from engage_site.api.exceptions import InvalidRequest
from engage_site.api.params import parse_uuid
from engage_site.api.problems import Problem
from interactions.api.base import TenantApiView
from interactions.api.docs import BODY_ERRORS, errors
from interactions.api.serializers import ContactCreateInput, ContactOutput
from interactions.exceptions import ContactNotFound, MultipleMatches
from interactions.selectors import contact_count, contact_get, contact_ids_matching
from interactions.services.contacts import contact_create, contact_erase

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
        named = ContactCreateInput(data=document)
        named.is_valid(raise_exception=True)
        extra = {
            key: value
            for key, value in document.items()
            if key not in _NAMED_ATTRIBUTES and key != "id"
        }

        def create() -> Any:
            contact = contact_create(
                tenant=self.tenant,
                extra_attributes=extra,
                **{_NAMED_ATTRIBUTES[key]: value for key, value in named.validated_data.items()},
            )
            return ContactOutput(contact).data

        return self.idempotent_write(document, write=create, status=201)


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

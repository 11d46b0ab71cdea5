"""A contact's tags (extension): list them, add one, remove one."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from engage_site.api.exceptions import NotFound
from engage_site.api.params import parse_uuid
from interactions.api.base import TenantApiView
from interactions.api.docs import BODY_ERRORS, errors
from interactions.api.serializers import TAG_NAMES_OUTPUT, TagInput
from interactions.api.views.common import EXTENSION
from interactions.selectors import contact_get
from interactions.services.tags import contact_tag_add, contact_tag_names, contact_tag_remove


class ContactTagCollectionApi(TenantApiView):
    """A contact's tags (extension): list them, or add one."""

    @extend_schema(
        operation_id="contacts_tags_list",
        tags=EXTENSION,
        responses={200: TAG_NAMES_OUTPUT, **errors(400, 404)},
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
        responses={200: TAG_NAMES_OUTPUT, **errors(*BODY_ERRORS, 404)},
        description="Adds a tag (made if new); answers the contact's tag names.",
    )
    def post(self, request: Request, version: str, contact_id: str) -> Response:
        contact = contact_get(
            tenant=self.tenant, contact_id=parse_uuid(contact_id, field="contactId")
        )
        document = self.json_body()
        name = document.get("name") if isinstance(document, dict) else None

        def add() -> Any:
            contact_tag_add(tenant=self.tenant, contact=contact, name=name)  # type: ignore[arg-type]
            return contact_tag_names(contact=contact)

        return self.idempotent_write(document, write=add)


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

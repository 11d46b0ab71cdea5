"""Refused interactions (extension): a refused POST with its reasons and its raw body."""

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from engage_site.api.params import parse_uuid
from interactions.api.base import TenantApiView
from interactions.api.docs import errors
from interactions.api.serializers import RefusedInteractionOutput
from interactions.api.views.common import EXTENSION, raw_copy_read
from interactions.selectors import refused_interaction_get
from interactions.services import raw_storage


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
        body = raw_copy_read(
            raw_storage.raw_copy_path(
                tenant_id=self.tenant.pk, kind=raw_storage.REFUSED, object_id=refused.pk
            )
        )
        refused.raw = body.decode("utf-8")  # type: ignore[attr-defined]
        return Response(RefusedInteractionOutput(refused).data)

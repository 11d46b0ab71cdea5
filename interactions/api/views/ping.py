"""Ping (extension): checks an API key."""

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from interactions.api.base import TenantApiView
from interactions.api.docs import errors
from interactions.api.serializers import PingOutput
from interactions.api.views.common import EXTENSION


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

"""Rotating an automation's webhook signing secret through the API (the extension)."""

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from automations.api.serializers import SecretRotatedOutput, SecretRotateInput
from automations.selectors import automation_get
from automations.services.automations import automation_secret_rotate
from interactions.public import TenantApiView, errors


class AutomationSecretRotateApi(TenantApiView):
    """A new signing secret, returned this once; the previous one keeps signing (beside it) for
    the grace period, so receivers can switch without dropping deliveries. The body, an empty
    JSON object, is not read."""

    @extend_schema(
        operation_id="automations_secret_rotate",
        tags=["extension"],
        request=SecretRotateInput,
        responses={200: SecretRotatedOutput, **errors(404, 413, 415)},
    )
    def post(self, request: Request, version: str, automation_id: str) -> Response:
        automation = automation_get(tenant=self.tenant, automation_id=automation_id)
        rotated = automation_secret_rotate(automation=automation)
        return Response(SecretRotatedOutput(rotated).data)

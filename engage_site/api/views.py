"""The base class of every JSON API view: JSON in and out, media type and size rules in one place.

It knows no domain: who may call a view (authentication, permissions, throttles) is set by the
subclasses an app defines.
"""

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from engage_site.api.exceptions import PayloadTooLarge, UnsupportedMediaType
from engage_site.api.parsers import StrictJSONParser, loads_strict

_BODY_METHODS = ("POST", "PUT", "PATCH")


class JsonOnlyNegotiation(BaseContentNegotiation):
    """Always JSON, whatever Accept says: clients that send Accept: */* or text/plain still work."""

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> BaseParser | None:
        return next(iter(parsers), None)

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, str(renderer.media_type)


def _is_json_media_type(content_type: str) -> bool:
    return content_type == "application/json" or (
        content_type.startswith("application/") and content_type.endswith("+json")
    )


class JsonApiView(APIView):
    """A view that takes and gives strict JSON.

    Checks after DRF's own (authentication 401, permissions, throttles 429), in the order the wire
    contract ranks them: 415 (media type), 413 (size), then 400 for a body that is not JSON
    (``json_body``).
    """

    parser_classes = [StrictJSONParser]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JsonOnlyNegotiation

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        self.caller_admitted(request)
        if request.method in _BODY_METHODS and hasattr(self, str(request.method).lower()):
            if not _is_json_media_type(request._request.content_type or ""):
                raise UnsupportedMediaType()
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > settings.API_MAX_BODY_BYTES:
                raise PayloadTooLarge(
                    f"The request body must be at most {settings.API_MAX_BODY_BYTES} bytes."
                )

    def caller_admitted(self, request: Request) -> None:
        """Called once the caller passed authentication, permissions and throttles."""

    def json_body(self) -> Any:
        """The request body as strictly parsed JSON (400 InvalidJson otherwise)."""
        return loads_strict(self.request.body)

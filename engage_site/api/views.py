"""The base class of every JSON API view: JSON in and out, media type and size rules in one place.

It knows no domain: who may call a view (authentication, permissions, throttles) is set by the
subclasses an app defines.
"""

import io
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from engage_site.api.exceptions import (
    HeadersTooLarge,
    LengthRequired,
    PayloadTooLarge,
    UnsupportedMediaType,
    UriTooLong,
)
from engage_site.api.parsers import StrictJSONParser, loads_strict

_BODY_METHODS = ("POST", "PUT", "PATCH")

# Our own limits, below the server's (see interactions/management/commands/serve.py, which sets
# gunicorn's above these), so that a request over them gets the API's answer in the API's shape.
MAX_REQUEST_LINE = 4094
MAX_HEADER_FIELD = 8190


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


def _content_length(request: HttpRequest) -> int:
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0


def _is_chunked(request: HttpRequest) -> bool:
    return "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()


def _read_chunked_body(request: HttpRequest, limit: int) -> None:
    """Make a chunked body readable like any other, or refuse it: never let it read as empty.

    Django reads as many bytes as Content-Length says, so a chunked body (which has none) would
    read as empty. A server that de-chunks the input and ends it (gunicorn, mod_wsgi) says so with
    ``wsgi.input_terminated``; then the body is read here, up to the size limit. A server that
    doesn't (Django's development server) can't give the body: 411 Length Required.
    """
    if not request.META.get("wsgi.input_terminated"):
        raise LengthRequired()
    body = request.META["wsgi.input"].read(limit + 1)
    if len(body) > limit:
        raise PayloadTooLarge(f"The request body must be at most {limit} bytes.")
    request.META["CONTENT_LENGTH"] = str(len(body))
    request._stream = io.BytesIO(body)
    request._read_started = False  # type: ignore[attr-defined]


def _check_request_size(request: HttpRequest) -> None:
    """414 for a request line over MAX_REQUEST_LINE, 431 for a header over MAX_HEADER_FIELD."""
    line = len(request.method or "") + len(request.get_full_path()) + len(" HTTP/1.1") + 1
    if line > MAX_REQUEST_LINE:
        raise UriTooLong(f"The request line must be at most {MAX_REQUEST_LINE} bytes.")
    for key, value in request.META.items():
        # "Name: value", as gunicorn counts a header line.
        too_large = isinstance(value, str) and len(key) - 5 + 2 + len(value) > MAX_HEADER_FIELD
        if key.startswith("HTTP_") and too_large:
            raise HeadersTooLarge(
                f"The header {key[5:].replace('_', '-').title()} is over {MAX_HEADER_FIELD} bytes."
            )


class JsonApiView(APIView):
    """A view that takes and gives strict JSON.

    Checks after DRF's own (authentication 401, permissions, throttles 429), in the order the wire
    contract ranks them: 415 (media type), 413 (size), then 400 for a body that is not JSON
    (``json_body``). A chunked body is read (or refused with 411), never taken as empty.
    """

    parser_classes = [StrictJSONParser]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JsonOnlyNegotiation
    # The setting holding this view's body limit: a view that takes bigger bodies names its own.
    max_body_setting = "API_MAX_BODY_BYTES"

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        _check_request_size(request._request)
        super().initial(request, *args, **kwargs)
        self.caller_admitted(request)
        if request.method in _BODY_METHODS and hasattr(self, str(request.method).lower()):
            django_request = request._request
            length = _content_length(django_request)
            chunked = _is_chunked(django_request) and not length
            if not length and not chunked:
                # No body at all: a view that reads one answers 400 (an empty body is not JSON);
                # one that reads none (a POST that only acts) has nothing to be typed.
                return
            if not _is_json_media_type(django_request.content_type or ""):
                raise UnsupportedMediaType()
            limit = self.max_body_bytes()
            if length > limit:
                raise PayloadTooLarge(f"The request body must be at most {limit} bytes.")
            if chunked:
                _read_chunked_body(django_request, limit)

    def max_body_bytes(self) -> int:
        """The largest body this view takes (413 over it)."""
        return int(getattr(settings, self.max_body_setting))

    def caller_admitted(self, request: Request) -> None:
        """Called once the caller passed authentication, permissions and throttles."""

    def json_body(self) -> Any:
        """The request body as strictly parsed JSON (400 InvalidJson otherwise)."""
        return loads_strict(self.request.body)

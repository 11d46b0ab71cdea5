"""The one error format of the API, and the handler that gives every error that shape.

Every 4xx and 5xx answer is ``{"statusCode", "errorCode", "message", "errors"?, ...}``. Domain code
raises subclasses of :class:`ApiError`; the handler also turns DRF's and Django's own exceptions
into the same shape, so no answer escapes in another format.
"""

import logging
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework.response import Response

from engage_site.api.problems import Problem

logger = logging.getLogger(__name__)


class ApiError(Exception):
    """An error with a stable code, a sentence, and the fields at fault."""

    status_code: ClassVar[int] = 400
    error_code: ClassVar[str] = "InvalidRequest"
    default_message: ClassVar[str] = "The request is not valid."

    def __init__(
        self,
        message: str | None = None,
        *,
        errors: Iterable[Problem] = (),
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.errors = list(errors)
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "statusCode": self.status_code,
            "errorCode": self.error_code,
            "message": self.message,
        }
        if self.errors:
            body["errors"] = [problem.as_dict() for problem in self.errors]
        body.update(self.extra)
        return body

    def response(self) -> Response:
        return Response(self.body(), status=self.status_code, headers=self.headers)


class InvalidRequest(ApiError):
    status_code = 400
    error_code = "InvalidRequest"
    default_message = "The request is not valid."


class Unauthorized(ApiError):
    status_code = 401
    error_code = "Unauthorized"
    default_message = "A valid API key is required."


class Forbidden(ApiError):
    status_code = 403
    error_code = "Forbidden"
    default_message = "This key may not do that."


class NotFound(ApiError):
    status_code = 404
    error_code = "NotFound"
    default_message = "There is nothing at this address."


class MethodNotAllowed(ApiError):
    status_code = 405
    error_code = "MethodNotAllowed"
    default_message = "This method is not allowed here."


class LengthRequired(ApiError):
    status_code = 411
    error_code = "LengthRequired"
    default_message = (
        "The request body was sent in chunks and this server can't read it so: "
        "send it with a Content-Length."
    )


class PayloadTooLarge(ApiError):
    status_code = 413
    error_code = "PayloadTooLarge"
    default_message = "The request body is too large."


class UriTooLong(ApiError):
    status_code = 414
    error_code = "UriTooLong"
    default_message = "The request line (method, path and query) is too long."


class HeadersTooLarge(ApiError):
    status_code = 431
    error_code = "RequestHeaderFieldsTooLarge"
    default_message = "A request header is too large."


class UnsupportedMediaType(ApiError):
    status_code = 415
    error_code = "UnsupportedMediaType"
    default_message = "The request body must be JSON (Content-Type: application/json)."


class InvalidJson(ApiError):
    status_code = 400
    error_code = "InvalidJson"
    default_message = "The request body is not valid JSON."


class InvalidContinuation(ApiError):
    status_code = 400
    error_code = "InvalidContinuation"
    default_message = "The continuation token is not valid for this listing."


class TooManyRequests(ApiError):
    status_code = 429
    error_code = "TooManyRequests"
    default_message = "Too many requests for this API key; retry after the time in Retry-After."


class InternalError(ApiError):
    status_code = 500
    error_code = "InternalError"
    default_message = "Something went wrong on our side; the request was not carried out."


class ServiceUnavailable(ApiError):
    status_code = 503
    error_code = "ServiceUnavailable"
    default_message = "A service the request needs is unavailable; nothing was stored. Retry later."


def _from_drf(exc: drf.APIException) -> ApiError:
    if isinstance(exc, drf.NotAuthenticated | drf.AuthenticationFailed):
        message = str(exc.detail) if isinstance(exc, drf.AuthenticationFailed) else None
        # APIView.handle_exception sets auth_header from the authentication class.
        challenge = getattr(exc, "auth_header", None) or 'Bearer realm="api"'
        return Unauthorized(message, headers={"WWW-Authenticate": challenge})
    if isinstance(exc, drf.Throttled):
        wait = max(1, round(getattr(exc, "wait", None) or 1))
        return TooManyRequests(headers={"Retry-After": str(wait)})
    if isinstance(exc, drf.UnsupportedMediaType):
        return UnsupportedMediaType()
    if isinstance(exc, drf.ParseError):
        return InvalidJson(str(exc.detail))
    if isinstance(exc, drf.MethodNotAllowed):
        return MethodNotAllowed()
    if isinstance(exc, drf.NotFound):
        return NotFound()
    if isinstance(exc, drf.PermissionDenied):
        return Forbidden()
    if isinstance(exc, drf.ValidationError):
        return InvalidRequest(errors=problems_from_detail(exc.detail))
    error = ApiError(str(exc.detail))
    error.status_code = exc.status_code  # type: ignore[misc]
    return error


def problems_from_detail(detail: Any, prefix: str = "") -> list[Problem]:
    """DRF's nested error detail as flat problems with dotted field paths."""
    if isinstance(detail, dict):
        problems = []
        for key, value in detail.items():
            field = prefix if key == "non_field_errors" else f"{prefix}.{key}".strip(".")
            problems.extend(problems_from_detail(value, field))
        return problems
    if isinstance(detail, list):
        problems = []
        for index, value in enumerate(detail):
            nested = isinstance(value, dict | list)
            problems.extend(problems_from_detail(value, f"{prefix}.{index}" if nested else prefix))
        return problems
    code = getattr(detail, "code", "invalid")
    code = {"null": "required", "blank": "required", "max_length": "maxLength"}.get(code, code)
    if code not in ("required", "type", "format", "enum", "maxLength", "minLength", "limit"):
        code = "invalid"
    return [Problem(prefix or "body", str(code), str(detail))]


def api_exception_handler(exc: Exception, context: Mapping[str, Any]) -> Response:
    if isinstance(exc, ApiError):
        return exc.response()
    if isinstance(exc, drf.APIException):
        return _from_drf(exc).response()
    if isinstance(exc, Http404):
        return NotFound().response()
    if isinstance(exc, DjangoPermissionDenied):
        return Forbidden().response()
    if isinstance(exc, DjangoValidationError):
        return InvalidRequest("; ".join(exc.messages)).response()
    if isinstance(exc, OperationalError | InterfaceError):
        logger.exception("Database unavailable")
        return ServiceUnavailable(headers={"Retry-After": "1"}).response()
    if isinstance(exc, DatabaseError):
        logger.exception("Database error")
        return InternalError().response()
    logger.exception("Unhandled error in an API view")
    return InternalError().response()

"""Django-level error pages: JSON in the API's error format under /api/, plain pages elsewhere."""

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

from engage_site.api.exceptions import ApiError, Forbidden, InternalError, InvalidRequest, NotFound


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _json(error: ApiError) -> JsonResponse:
    return JsonResponse(error.body(), status=error.status_code)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return _json(NotFound())
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    if _is_api(request):
        return _json(InternalError())
    return defaults.server_error(request)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Requests Django refuses before any view (a disallowed Host header, a malformed body)."""
    if _is_api(request):
        return _json(InvalidRequest("The request is malformed."))
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return _json(Forbidden())
    return defaults.permission_denied(request, exception)

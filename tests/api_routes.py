"""The API's routes, for tests that must cover every one of them (tenant isolation).

Route names say which app owns them: ``segment-…`` routes belong to segments, ``automation-…``
routes to automations, every other name to the core. Each app's isolation test covers its own.
"""

from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

API_PREFIX = "api/v2/"
HTTP_METHODS = ("get", "post", "put", "patch", "delete")
APP_ROUTE_PREFIXES = ("segment", "automation")


def is_core_route(name: str) -> bool:
    return not name.startswith(APP_ROUTE_PREFIXES)


def api_routes() -> set[tuple[str, str]]:
    """(route name, method) for every route mounted under /api/v2/."""

    def walk(patterns: list[Any]) -> set[tuple[str, str]]:
        found: set[tuple[str, str]] = set()
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                found |= walk(pattern.url_patterns)
                continue
            assert isinstance(pattern, URLPattern)
            assert pattern.name, f"the API route {pattern.pattern} has no name"
            callback = pattern.callback
            actions = getattr(callback, "actions", None)  # a DRF viewset
            view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
            if actions:
                methods = {method.upper() for method in actions}
            else:
                assert view_class is not None, f"{pattern.name} is not a class-based view"
                methods = {m.upper() for m in HTTP_METHODS if hasattr(view_class, m)}
            found |= {(pattern.name, method) for method in methods}
        return found

    api = [
        pattern
        for pattern in get_resolver().url_patterns
        if isinstance(pattern, URLResolver) and str(pattern.pattern) == API_PREFIX
    ]
    assert len(api) == 1, f"expected one resolver for {API_PREFIX}"
    return walk(api[0].url_patterns)

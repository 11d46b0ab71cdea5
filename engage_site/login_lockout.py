"""What django-axes asks of the site: which address a login comes from, and the lockout page."""

import ipaddress
from typing import Any

from axes.helpers import get_cool_off  # type: ignore[import-untyped]
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def client_ip(request: HttpRequest) -> str | None:
    """The address failed logins are counted against.

    REMOTE_ADDR, unless the app is behind a TLS proxy: then REMOTE_ADDR is the proxy's, and the
    client's is in X-Forwarded-For. A client can put anything in that header; each proxy appends the
    address it received the request from, so only the entry TRUSTED_PROXY_COUNT places from the
    right was written by a proxy we trust. A missing or unreadable entry falls back to REMOTE_ADDR.
    """
    remote_addr = request.META.get("REMOTE_ADDR")
    if not settings.BEHIND_TLS_PROXY:
        return remote_addr
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    entries = [entry.strip() for entry in forwarded.split(",") if entry.strip()]
    if len(entries) < settings.TRUSTED_PROXY_COUNT:
        return remote_addr
    try:
        return str(ipaddress.ip_address(entries[-settings.TRUSTED_PROXY_COUNT]))
    except ValueError:
        return remote_addr


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any
) -> HttpResponse:
    """The page a login gets while its username or address is locked out (429)."""
    cool_off = get_cool_off(request)
    return render(
        request,
        "registration/lockout.html",
        {
            "failure_limit": settings.AXES_FAILURE_LIMIT,
            "lockout_minutes": int(cool_off.total_seconds() // 60),
            "login_url": request.path,
        },
        status=429,
    )

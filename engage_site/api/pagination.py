"""Keyset pagination with the Engage wire shape: ``{"links": [...], "items": [...]}``.

The continuation token is signed and bound to the listing it came from, so a tampered token or
one from another tenant or listing is refused instead of leaking or skipping rows.
"""

import hashlib
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.core import signing
from rest_framework.request import Request

from engage_site.api.exceptions import InvalidContinuation
from engage_site.api.problems import Problem

_SALT = "engage.continuation"


def _scope_digest(scope: str) -> str:
    return hashlib.sha256(scope.encode()).hexdigest()[:16]


def continuation_encode(*, scope: str, created: datetime, last_id: uuid.UUID) -> str:
    return signing.dumps(
        {"s": _scope_digest(scope), "c": created.isoformat(), "i": last_id.hex}, salt=_SALT
    )


def continuation_decode(token: str, *, scope: str) -> tuple[datetime, uuid.UUID]:
    """The keyset a token carries; raises InvalidContinuation if it is not one we made for scope."""
    problem = [Problem("continuation", "invalid", "is not a continuation of this listing")]
    try:
        data = signing.loads(token, salt=_SALT)
        if data["s"] != _scope_digest(scope):
            raise ValueError("foreign scope")
        return datetime.fromisoformat(data["c"]), uuid.UUID(hex=data["i"])
    except (signing.BadSignature, ValueError, KeyError, TypeError):
        raise InvalidContinuation(errors=problem) from None


def keyset_links(
    *, request: Request, items: Sequence[Any], has_next: bool, scope: str, query: dict[str, str]
) -> list[dict[str, str]]:
    """The ``links`` of a page: itself, and the next page when there is one."""
    links = [{"rel": "self", "method": "GET", "href": request.build_absolute_uri()}]
    if has_next and items:
        last = items[-1]
        token = continuation_encode(scope=scope, created=last.created_date, last_id=last.pk)
        base = request.build_absolute_uri(request.path)
        href = f"{base}?{urlencode({**query, 'continuation': token})}"
        links.append({"rel": "next", "method": "GET", "href": href})
    return links

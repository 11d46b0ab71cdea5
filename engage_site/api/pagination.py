"""Keyset pagination: one paginator for every list (API and pages), newest first.

A page ends at a row; the next starts strictly after that row's ``(key, tiebreak)`` in descending
order, so rows written meanwhile never shift or repeat a page (unlike offsets). The continuation
token is signed and bound to the listing it came from (its ``scope``), so a tampered token or one
from another tenant or listing is refused instead of leaking or skipping rows. API lists answer in
the Engage wire shape ``{"links": [...], "items": [...]}`` (``keyset_links``).
"""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar
from urllib.parse import urlencode

from django.core import signing
from django.db.models import Model, Q, QuerySet
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


M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class KeysetPage(Generic[M]):
    items: list[M]
    next_token: str | None


class KeysetPaginator(Generic[M]):
    """Pages of ``queryset`` ordered by ``key`` then ``tiebreak``, both descending.

    ``key`` is a date-time field and ``tiebreak`` a UUID field that makes the order total; an index
    on ``(…filters, key, tiebreak)`` makes every page an index range scan, whatever its depth.
    """

    def __init__(
        self, queryset: QuerySet[M], *, key: str, tiebreak: str = "id", scope: str, size: int
    ) -> None:
        self.queryset = queryset
        self.key = key
        self.tiebreak = tiebreak
        self.scope = scope
        self.size = size

    def page(self, token: str | None) -> KeysetPage[M]:
        """The page after ``token`` (the first page without one); raises InvalidContinuation for
        a token this listing did not make."""
        rows = self.queryset
        if token:
            last_key, last_id = continuation_decode(token, scope=self.scope)
            # The redundant "<=" gives the index scan a start bound; the OR alone would be a filter.
            rows = rows.filter(
                Q(**{f"{self.key}__lte": last_key}),
                Q(**{f"{self.key}__lt": last_key})
                | Q(**{self.key: last_key, f"{self.tiebreak}__lt": last_id}),
            )
        fetched = list(rows.order_by(f"-{self.key}", f"-{self.tiebreak}")[: self.size + 1])
        items = fetched[: self.size]
        next_token = None
        if len(fetched) > self.size:
            last = items[-1]
            next_token = continuation_encode(
                scope=self.scope,
                created=getattr(last, self.key),
                last_id=getattr(last, self.tiebreak),
            )
        return KeysetPage(items=items, next_token=next_token)

    def rows_before(self, token: str | None) -> int:
        """How many rows come before the page after ``token`` (0 for the first page): one
        count over the index range, for pages that say where they are ("26 to 50 of 70")."""
        if not token:
            return 0
        last_key, last_id = continuation_decode(token, scope=self.scope)
        return self.queryset.filter(
            Q(**{f"{self.key}__gte": last_key}),
            Q(**{f"{self.key}__gt": last_key})
            | Q(**{self.key: last_key, f"{self.tiebreak}__gte": last_id}),
        ).count()


class UniqueKeyPaginator(Generic[M]):
    """Pages of ``queryset`` in ascending order of ``key``, a text field unique within it (a
    product's SKU within its tenant): the continuation carries the last key of a page."""

    def __init__(self, queryset: QuerySet[M], *, key: str, scope: str, size: int) -> None:
        self.queryset = queryset
        self.key = key
        self.scope = scope
        self.size = size

    def _last_key(self, token: str) -> str:
        try:
            data = signing.loads(token, salt=_SALT)
            if data["s"] != _scope_digest(self.scope) or not isinstance(data["k"], str):
                raise ValueError("foreign scope")
            return str(data["k"])
        except (signing.BadSignature, ValueError, KeyError, TypeError):
            problem = Problem("continuation", "invalid", "is not a continuation of this listing")
            raise InvalidContinuation(errors=[problem]) from None

    def page(self, token: str | None) -> KeysetPage[M]:
        """The page after ``token`` (the first page without one); raises InvalidContinuation for
        a token this listing did not make."""
        rows = self.queryset
        if token:
            rows = rows.filter(**{f"{self.key}__gt": self._last_key(token)})
        fetched = list(rows.order_by(self.key)[: self.size + 1])
        items = fetched[: self.size]
        next_token = None
        if len(fetched) > self.size:
            last_key = getattr(items[-1], self.key)
            next_token = signing.dumps({"s": _scope_digest(self.scope), "k": last_key}, salt=_SALT)
        return KeysetPage(items=items, next_token=next_token)


def keyset_links(
    *, request: Request, page: KeysetPage[Any], query: dict[str, str] | None = None
) -> list[dict[str, str]]:
    """The ``links`` of an API page: itself, and the next page when there is one."""
    links = [{"rel": "self", "method": "GET", "href": request.build_absolute_uri()}]
    if page.next_token is not None:
        base = request.build_absolute_uri(request.path)
        href = f"{base}?{urlencode({**(query or {}), 'continuation': page.next_token})}"
        links.append({"rel": "next", "method": "GET", "href": href})
    return links

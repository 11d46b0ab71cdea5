"""Query helpers that know no domain."""

from typing import TypeVar

from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)


def one_or_none(queryset: QuerySet[M]) -> M | None:
    """The row of a lookup by a unique key, or None. Unlike first(), adds no ORDER BY."""
    return next(iter(queryset[:1]), None)

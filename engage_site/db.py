"""Query helpers that know no domain."""

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from django.db import connection
from django.db.models import JSONField, Model, QuerySet

M = TypeVar("M", bound=Model)


def one_or_none(queryset: QuerySet[M]) -> M | None:
    """The row of a lookup by a unique key, or None. Unlike first(), adds no ORDER BY."""
    return next(iter(queryset[:1]), None)


def rows_copy_in(
    model: type[Model], attnames: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Insert ``rows`` into ``model``'s table: each row holds the values of ``attnames`` (field
    attribute names, ``tenant_id`` for a foreign key) as the model would take them. Fields left out
    are NULL, so give every field that has a Python-side default.

    On PostgreSQL the rows go through one COPY (several times faster than an INSERT built by the
    ORM, whose per-value preparation dominates the cost of big batches); elsewhere through
    ``bulk_create``. Nothing is checked or signalled, as with ``bulk_create``.
    """
    if connection.vendor != "postgresql":
        model._base_manager.bulk_create(
            [model(**dict(zip(attnames, row, strict=True))) for row in rows], batch_size=500
        )
        return
    from psycopg.types.json import Jsonb

    fields = {field.attname: field for field in model._meta.concrete_fields}
    json_at = [index for index, name in enumerate(attnames) if isinstance(fields[name], JSONField)]
    columns = ", ".join(connection.ops.quote_name(fields[name].column) for name in attnames)
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        raw_cursor: Any = cursor.cursor  # psycopg's own cursor, for its COPY
        with raw_cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                if json_at:
                    row = list(row)
                    for index in json_at:
                        row[index] = Jsonb(row[index])
                copy.write_row(row)

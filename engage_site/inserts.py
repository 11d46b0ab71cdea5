"""Inserting a few new rows of different tables in one round trip to the database."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connections, router
from django.db.models import Field, Model
from django.db.models.sql import InsertQuery

# (model, database alias) -> the INSERT's SQL and the fields its parameters are for. The SQL does
# not depend on the values (unless one is an expression: then it is compiled afresh), and
# compiling it again for each row was a measured 7% of an ingest request's CPU.
_statements: dict[tuple[type[Model], str], tuple[str, list[Field[Any, Any]]]] = {}


def _fields(row: Model) -> list[Field[Any, Any]]:
    """The fields ``row.save(force_insert=True)`` would insert."""
    meta = row._meta
    fields = [field for field in meta.local_concrete_fields if not field.generated]
    if row.pk is None:
        fields = [field for field in fields if field is not meta.auto_field]
    return fields


def _compiled(row: Model, fields: list[Field[Any, Any]], using: str) -> tuple[str, list[Any]]:
    query = InsertQuery(type(row))
    query.insert_values(fields, [row])
    [(sql, params)] = query.get_compiler(using=using).as_sql()
    return sql, list(params)


def _insert_statement(row: Model, using: str) -> tuple[str, list[Any]]:
    """The INSERT that ``row.save(force_insert=True)`` would run (without RETURNING)."""
    connection = connections[using]
    key = (type(row), using)
    fields = _fields(row)
    cached = _statements.get(key)
    if cached is None or cached[1] != fields:
        sql, params = _compiled(row, fields, using)
        _statements[key] = (sql, fields)
        return sql, params
    values = [field.pre_save(row, True) for field in fields]
    if any(hasattr(value, "resolve_expression") for value in values):
        return _compiled(row, fields, using)
    params = [
        field.get_db_prep_save(value, connection=connection)
        for field, value in zip(fields, values, strict=True)
    ]
    return cached[0], params


def rows_insert_in_one_statement(
    rows: Sequence[Model], *, and_statements: Sequence[tuple[str, Sequence[Any]]] = ()
) -> None:
    """Insert ``rows`` (new rows, of any models), on PostgreSQL with a single statement.

    There every INSERT but the last is a data-modifying CTE of the last one, so the rows cost one
    round trip instead of one each; elsewhere they are inserted one after the other.
    ``and_statements`` are further data-modifying statements (SQL with ``%s`` placeholders, and
    their parameters) that do not read what the others write, sent in the same round trip (as
    CTEs too) on PostgreSQL and after the rows elsewhere. Like
    ``save(force_insert=True)`` but sends no signals and does not read back primary keys the
    database generates: use it for rows nothing refers to by such a key yet. Call it inside a
    transaction when the rows must be written together (one statement is atomic anyway).
    """
    if not rows:
        return
    using = router.db_for_write(type(rows[0]))
    connection = connections[using]
    statements = [_insert_statement(row, using) for row in rows]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            *first, (last, last_params) = statements
            before = [*first, *and_statements]
            ctes = ", ".join(f"r{index} AS ({sql})" for index, (sql, _) in enumerate(before))
            cursor.execute(
                f"WITH {ctes} {last}" if ctes else last,
                [*(param for _, params in before for param in params), *last_params],
            )
        else:
            for sql, params in [*statements, *and_statements]:
                cursor.execute(sql, params)
    for row in rows:
        row._state.adding = False
        row._state.db = using

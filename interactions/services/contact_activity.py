"""Contact activity rows (``ContactActivity``): per contact and schema, how many interactions in
all (with the first and the last), per local month and per local day. Each write path calls one
function here in its own transaction, so the rows always agree with the interactions:

- ``contact_activity_add``: interactions stored (a single POST, a batch, an import);
- ``contact_activity_subtract``: one interaction deleted (after its row is gone);
- ``contact_activity_forget_contact`` / ``_forget_schema``: a contact erased, a schema purged;
- ``contact_activity_rebuild``: recount from the interactions (the tenant's time zone changed).

Adding is one ``INSERT … ON CONFLICT DO UPDATE`` (SQLite and PostgreSQL) that adds to the
counts, so concurrent writers of the same contact never lose a count; rows are written in key
order so that two batches touching the same rows can't deadlock.
"""

import uuid
import zoneinfo
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any

from django.db import connection
from django.db.models import Count, DateField, F, Max, Min, OuterRef, Q, Subquery
from django.db.models.functions import Trunc

from interactions.charts import CHARTABLE
from interactions.models import ContactActivity, Interaction, InteractionSchema, Tenant
from interactions.models.contact_activity import ALL_TIME

Period = ContactActivity.Period
# (contact, period, starts_on, schema): the unique key, in its order.
Key = tuple[uuid.UUID, str, date, int]
# Rows per INSERT: 8 parameters each, well below every backend's limit.
_ROWS_PER_STATEMENT = 500
_CONTACTS_PER_REBUILD = 1000


def _keys(
    contact_id: uuid.UUID, schema_pk: int, created: datetime, tz: zoneinfo.ZoneInfo
) -> Iterator[Key]:
    yield (contact_id, Period.ALL, ALL_TIME, schema_pk)
    if CHARTABLE[0] <= created <= CHARTABLE[1]:
        day = created.astimezone(tz).date()
        yield (contact_id, Period.MONTH, day.replace(day=1), schema_pk)
        yield (contact_id, Period.DAY, day, schema_pk)


def contact_activity_add(
    *, tenant: Tenant, occurrences: Iterable[tuple[uuid.UUID, int, datetime]]
) -> None:
    """Count interactions just stored, given as (contact id, schema row id, created date); call in
    the transaction that stores them."""
    with connection.cursor() as cursor:
        for sql, params in contact_activity_add_statements(tenant=tenant, occurrences=occurrences):
            cursor.execute(sql, params)


def contact_activity_add_statements(
    *, tenant: Tenant, occurrences: Iterable[tuple[uuid.UUID, int, datetime]]
) -> list[tuple[str, list[Any]]]:
    """The statements ``contact_activity_add`` runs (SQL and parameters), for a caller that
    sends them with its own inserts in one round trip."""
    tz = zoneinfo.ZoneInfo(tenant.timezone)
    tallies: dict[Key, list[Any]] = {}
    for contact_id, schema_pk, created in occurrences:
        for key in _keys(contact_id, schema_pk, created, tz):
            tally = tallies.get(key)
            if tally is None:
                is_all = key[1] == Period.ALL
                tallies[key] = [1, created if is_all else None, created if is_all else None]
                continue
            tally[0] += 1
            if tally[1] is not None:
                tally[1], tally[2] = min(tally[1], created), max(tally[2], created)
    rows = [(key, *tally) for key, tally in sorted(tallies.items())]
    return [
        _upsert(tenant.pk, rows[start : start + _ROWS_PER_STATEMENT])
        for start in range(0, len(rows), _ROWS_PER_STATEMENT)
    ]


def _upsert(tenant_id: int, rows: Sequence[tuple[Any, ...]]) -> tuple[str, list[Any]]:
    meta = ContactActivity._meta
    table = connection.ops.quote_name(meta.db_table)
    columns = ["tenant", "contact", "period", "starts_on", "schema", "count", "first_at", "last_at"]
    fields = [meta.get_field(name) for name in columns]
    names = [connection.ops.quote_name(str(field.column)) for field in fields]  # type: ignore[union-attr]
    _, contact, period, starts_on, schema, count, first_at, last_at = names
    params: list[Any] = []
    for (contact_id, period_name, start, schema_pk), n, first, last in rows:
        values = (tenant_id, contact_id, period_name, start, schema_pk, n, first, last)
        params.extend(
            field.get_db_prep_save(value, connection)  # type: ignore[union-attr]
            for field, value in zip(fields, values, strict=True)
        )
    placeholders = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(rows))
    # Only quoted names of this model and placeholders are formatted in; values are parameters.
    sql = (
        f"INSERT INTO {table} ({', '.join(names)}) VALUES {placeholders} "  # noqa: S608
        f"ON CONFLICT ({contact}, {period}, {starts_on}, {schema}) DO UPDATE SET "
        f"{count} = {table}.{count} + EXCLUDED.{count}, "
        f"{first_at} = CASE WHEN EXCLUDED.{first_at} < {table}.{first_at} "
        f"THEN EXCLUDED.{first_at} ELSE {table}.{first_at} END, "
        f"{last_at} = CASE WHEN EXCLUDED.{last_at} > {table}.{last_at} "
        f"THEN EXCLUDED.{last_at} ELSE {table}.{last_at} END"
    )
    return sql, params


def contact_activity_subtract(*, tenant: Tenant, interaction: Interaction) -> None:
    """Uncount an interaction; call in the transaction that deletes it, after the delete (the
    first and last are read again from the contact's remaining interactions of the schema)."""
    keys = list(
        _keys(
            interaction.contact_id,
            interaction.schema_id,
            interaction.created_date,
            zoneinfo.ZoneInfo(tenant.timezone),
        )
    )
    rows = ContactActivity.objects.filter(
        tenant=tenant, contact_id=interaction.contact_id, schema_id=interaction.schema_id
    )
    periods = Q()
    for _, period, starts_on, _ in keys:
        periods |= Q(period=period, starts_on=starts_on)
    rows.filter(periods).update(count=F("count") - 1)
    rows.filter(periods, count=0).delete()
    remaining = Interaction.objects.filter(
        tenant=tenant, contact_id=OuterRef("contact_id"), schema_id=OuterRef("schema_id")
    )
    rows.filter(period=Period.ALL).update(
        first_at=Subquery(remaining.order_by("created_date").values("created_date")[:1]),
        last_at=Subquery(remaining.order_by("-created_date").values("created_date")[:1]),
    )


def contact_activity_forget_contact(*, tenant: Tenant, contact_id: uuid.UUID) -> None:
    """Drop an erased contact's rows; call in the erasing transaction."""
    ContactActivity.objects.filter(tenant=tenant, contact_id=contact_id).delete()


def contact_activity_forget_schema(*, schema: InteractionSchema) -> None:
    """Drop a deleted schema's rows; call in the transaction that purges the schema."""
    ContactActivity.objects.filter(tenant_id=schema.tenant_id, schema=schema).delete()


def contact_activity_rebuild(
    *, tenant: Tenant, contact_ids: Sequence[uuid.UUID] | None = None
) -> int:
    """Recount the rows of the tenant's contacts (or of ``contact_ids``) from their interactions,
    in the tenant's current time zone, a thousand contacts a batch; returns how many rows.
    Call in a transaction."""
    if contact_ids is None:
        contact_ids = list(
            Interaction.objects.filter(tenant=tenant)
            .values_list("contact_id", flat=True)
            .distinct()
            .order_by("contact_id")
        )
        ContactActivity.objects.filter(tenant=tenant).delete()
    else:
        ContactActivity.objects.filter(tenant=tenant, contact_id__in=contact_ids).delete()
    tz = zoneinfo.ZoneInfo(tenant.timezone)
    written = 0
    for start in range(0, len(contact_ids), _CONTACTS_PER_REBUILD):
        chunk = contact_ids[start : start + _CONTACTS_PER_REBUILD]
        rows = list(_recount(tenant, chunk, tz))
        ContactActivity.objects.bulk_create(rows, batch_size=_ROWS_PER_STATEMENT)
        written += len(rows)
    return written


def _recount(
    tenant: Tenant, contact_ids: Sequence[uuid.UUID], tz: zoneinfo.ZoneInfo
) -> Iterator[ContactActivity]:
    interactions = Interaction.objects.filter(tenant=tenant, contact_id__in=contact_ids).order_by()
    for row in interactions.values("contact_id", "schema_id").annotate(
        n=Count("id"), first=Min("created_date"), last=Max("created_date")
    ):
        yield ContactActivity(
            tenant=tenant,
            contact_id=row["contact_id"],
            schema_id=row["schema_id"],
            period=Period.ALL,
            starts_on=ALL_TIME,
            count=row["n"],
            first_at=row["first"],
            last_at=row["last"],
        )
    chartable = interactions.filter(created_date__range=CHARTABLE)
    for period in (Period.MONTH, Period.DAY):
        for row in (
            chartable.annotate(
                start=Trunc("created_date", period, output_field=DateField(), tzinfo=tz)
            )
            .values("contact_id", "schema_id", "start")
            .annotate(n=Count("id"))
        ):
            yield ContactActivity(
                tenant=tenant,
                contact_id=row["contact_id"],
                schema_id=row["schema_id"],
                period=period,
                starts_on=row["start"],
                count=row["n"],
            )

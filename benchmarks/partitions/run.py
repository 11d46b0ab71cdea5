"""Partitions benchmark: today's interactions table against the same rows partitioned by month.

Works on the data the segments benchmark loads (run ``benchmarks/segments/run --contacts 1000000
--interactions 20000000`` first, with the same ``BENCH_DATABASE_URL``). It copies every
interaction, in time order, into ``bench_partitioned``: declarative range partitions by month of
``created_date`` (a partition per month the data spans, two ahead and a default one), with the
primary key ``(id, created_date)`` (a partitioned table's keys must hold the partition key) and
the same indexes and foreign keys as ``interactions_interaction``. The copy is kept for
``--reuse``. Then, on a warm database, both layouts answer the same statements in the same run:

- single inserts (one row, one transaction each; planned each time, then prepared) and batch
  inserts (``COPY`` of 1,000 rows);
- the contact card's first page (a contact's newest 25 rows) and keyset paging (a contact's
  history 5 rows a page; a schema's newest rows 50 a page, 20 pages deep);
- the three segment rules of the segments benchmark, as hand-written SQL;
- a lookup by id (``GET interactions/{id}``, which knows only the id);
- retention: deleting the oldest full month (``DELETE`` of its rows, foreign keys checked) against
  detaching and dropping its partition, each in a transaction that is rolled back, last.

Each line gives the median (p50) and p95 in ms, or rows per second, for both layouts and their
ratio of their costs (partitioned over plain: above 1, partitions are slower).
"""

import argparse
import functools
import itertools
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
# The app's ids, as its write paths make them (time-ordered).
from interactions.ids import uuid7

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/engage_bench_segments"
PLAIN = "interactions_interaction"
PARTITIONED = "bench_partitioned"
VALUES = "interactions_segmentablevalue"
COLUMNS = (
    "id, tenant_id, contact_id, schema_id, created_date, received_at, payload, dropped_properties"
)


def one(conn: psycopg.Connection[Any], sql: str, params: list[Any] | None = None) -> Any:
    """The first row of a statement's answer (a statement that always answers one)."""
    row = conn.execute(sql, params).fetchone()
    assert row is not None
    return row


def fetch_all(conn: psycopg.Connection[Any], sql: str, params: list[Any]) -> list[Any]:
    return conn.execute(sql, params).fetchall()


def month_start(moment: datetime) -> datetime:
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def next_month(moment: datetime) -> datetime:
    return month_start(month_start(moment) + timedelta(days=32))


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def build_partitioned(conn: psycopg.Connection[Any]) -> None:
    """Copies the interactions into monthly partitions with the plain table's indexes and keys."""
    first, last = one(conn, f"SELECT min(created_date), max(created_date) FROM {PLAIN}")
    conn.execute(f"DROP TABLE IF EXISTS {PARTITIONED}")
    conn.execute(
        f"CREATE TABLE {PARTITIONED} (LIKE {PLAIN} INCLUDING DEFAULTS) "
        "PARTITION BY RANGE (created_date)"
    )
    bound = month_start(first)
    end = next_month(next_month(next_month(last)))
    months = 0
    while bound < end:
        upper = next_month(bound)
        conn.execute(
            f"CREATE TABLE {PARTITIONED}_{bound:%Y%m} PARTITION OF {PARTITIONED} "
            f"FOR VALUES FROM ('{bound.isoformat()}') TO ('{upper.isoformat()}')"
        )
        bound, months = upper, months + 1
    conn.execute(f"CREATE TABLE {PARTITIONED}_default PARTITION OF {PARTITIONED} DEFAULT")
    print(f"  {months} monthly partitions and a default one", flush=True)

    start = time.perf_counter()
    # The plain table's rows are stored in time order already (as interactions arrive).
    conn.execute(f"INSERT INTO {PARTITIONED} ({COLUMNS}) SELECT {COLUMNS} FROM {PLAIN}")
    print(f"  rows copied in {time.perf_counter() - start:.0f} s", flush=True)

    start = time.perf_counter()
    conn.execute(f"ALTER TABLE {PARTITIONED} ADD PRIMARY KEY (id, created_date)")
    indexes = conn.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
        "AND indexname NOT LIKE '%%_pkey'",
        [PLAIN],
    ).fetchall()
    for name, definition in indexes:
        conn.execute(
            definition.replace(f'"{name}"', f'"p_{name}"')
            .replace(f"INDEX {name} ", f"INDEX p_{name} ")
            .replace(f"public.{PLAIN} ", f"public.{PARTITIONED} ")
        )
    foreign_keys = conn.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype = 'f' AND conrelid = %s::regclass",
        [PLAIN],
    ).fetchall()
    for name, definition in foreign_keys:
        conn.execute(f'ALTER TABLE {PARTITIONED} ADD CONSTRAINT "p_{name}" {definition}')
    conn.execute(f"VACUUM ANALYZE {PARTITIONED}")
    print(
        f"  primary key, {len(indexes)} indexes and {len(foreign_keys)} foreign keys built "
        f"and analysed in {time.perf_counter() - start:.0f} s",
        flush=True,
    )


def timed_each(statements: Iterator[Callable[[], Any]]) -> list[float]:
    times = []
    for statement in statements:
        start = time.perf_counter()
        statement()
        times.append((time.perf_counter() - start) * 1000)
    return times


class Layouts:
    """Runs one measurement on both tables and prints a line comparing them."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def header(self, title: str) -> None:
        print(f"\n{title}\n{'measure':<44}{'plain':>18}{'partitioned':>18}{'ratio':>8}")

    def latency(self, label: str, make: Callable[[str], Iterator[Callable[[], Any]]]) -> None:
        for table in (PLAIN, PARTITIONED):
            timed_each(itertools.islice(make(table), 3))  # warm-up
        samples: dict[str, list[float]] = {PLAIN: [], PARTITIONED: []}
        # Alternated, statement by statement, so that both layouts see the same machine.
        for n, pair in enumerate(zip(make(PLAIN), make(PARTITIONED), strict=True)):
            tables = (PLAIN, PARTITIONED) if n % 2 else (PARTITIONED, PLAIN)
            statements = pair if n % 2 else pair[::-1]
            for table, statement in zip(tables, statements, strict=True):
                samples[table].extend(timed_each(iter([statement])))
        (p50, p95), (q50, q95) = (
            (statistics.median(samples[t]), percentile(samples[t], 0.95))
            for t in (PLAIN, PARTITIONED)
        )
        print(
            f"{label:<44}{p50:>8.2f} /{p95:>7.2f}{q50:>9.2f} /{q95:>7.2f}{q50 / p50:>8.2f}",
            flush=True,
        )

    def rate(self, label: str, run: Callable[[str], tuple[int, float]]) -> None:
        figures = {PLAIN: (0, 0.0), PARTITIONED: (0, 0.0)}
        # Twice each, in the order plain, partitioned, partitioned, plain: neither goes first.
        for table in (PLAIN, PARTITIONED, PARTITIONED, PLAIN):
            rows, seconds = run(table)
            figures[table] = (figures[table][0] + rows, figures[table][1] + seconds)
        (rows, plain_s), (_, part_s) = figures[PLAIN], figures[PARTITIONED]
        plain_rate, part_rate = rows / plain_s, rows / part_s
        print(
            f"{label:<44}{plain_rate:>12,.0f} r/s{part_rate:>14,.0f} r/s"
            f"{plain_rate / part_rate:>8.2f}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reuse", action="store_true", help="keep the partitioned copy")
    parser.add_argument("--samples", type=int, default=300, help="statements per latency line")
    parser.add_argument("--singles", type=int, default=2000, help="single-row inserts per layout")
    parser.add_argument("--batches", type=int, default=20, help="COPY batches of 1,000 per layout")
    parser.add_argument("--skip-retention", action="store_true")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    rng = random.Random(7)

    with psycopg.connect(url, autocommit=True) as conn:
        total = one(conn, f"SELECT count(*) FROM {PLAIN}")[0]
        if not total:
            raise SystemExit("No interactions: run benchmarks/segments/run first (same URL).")
        print(f"{total:,} interactions in {PLAIN}", flush=True)
        exists = one(conn, "SELECT to_regclass(%s)", [PARTITIONED])[0]
        if not (args.reuse and exists):
            print("Building the partitioned copy …", flush=True)
            build_partitioned(conn)
        for table in (PLAIN, PARTITIONED):
            data, indexes = one(
                conn,
                "SELECT pg_size_pretty(sum(pg_table_size(relid))), "
                "pg_size_pretty(sum(pg_indexes_size(relid))) "
                "FROM (SELECT %s::regclass AS relid UNION ALL "
                "SELECT inhrelid FROM pg_inherits WHERE inhparent = %s::regclass) t",
                [table, table],
            )
            print(f"  {table}: {data} of rows, {indexes} of indexes")

        tenant_id, schema_ids = one(
            conn,
            "SELECT tenant_id, array_agg(DISTINCT schema_id ORDER BY schema_id) "
            f"FROM (SELECT tenant_id, schema_id FROM {PLAIN} LIMIT 100000) s GROUP BY tenant_id",
        )
        sample = conn.execute(
            f"SELECT id, contact_id FROM (SELECT id, contact_id FROM {PLAIN} "
            "TABLESAMPLE SYSTEM (%s)) s ORDER BY random() LIMIT %s",
            [min(100.0, 100.0 * args.samples * 50 / total), args.samples],
        ).fetchall()
        ids = [row[0] for row in sample]
        contacts = [row[1] for row in sample]
        now = datetime.now(UTC)
        layouts = Layouts(conn)

        def each(sql: str, params: list[list[Any]]) -> Callable[[str], Iterator[Callable[[], Any]]]:
            def make(table: str) -> Iterator[Callable[[], Any]]:
                statement = sql.format(t=table)
                for values in params:
                    yield functools.partial(fetch_all, conn, statement, values)

            return make

        layouts.header("Latency, ms (p50 / p95):")
        layouts.latency("lookup by id", each("SELECT * FROM {t} WHERE id = %s", [[i] for i in ids]))
        layouts.latency(
            "contact card: newest 25 of a contact",
            each(
                "SELECT * FROM {t} WHERE contact_id = %s "
                "ORDER BY created_date DESC, id DESC LIMIT 25",
                [[c] for c in contacts],
            ),
        )

        def contact_pages(table: str) -> Iterator[Callable[[], Any]]:
            for contact in contacts[:100]:

                def walk(contact: Any = contact) -> None:
                    cursor: tuple[Any, ...] | None = None
                    while True:
                        if cursor is None:
                            rows = conn.execute(
                                f"SELECT created_date, id FROM {table} WHERE contact_id = %s "
                                "ORDER BY created_date DESC, id DESC LIMIT 5",
                                [contact],
                            ).fetchall()
                        else:
                            rows = conn.execute(
                                f"SELECT created_date, id FROM {table} WHERE contact_id = %s "
                                "AND (created_date, id) < (%s, %s) "
                                "ORDER BY created_date DESC, id DESC LIMIT 5",
                                [contact, *cursor],
                            ).fetchall()
                        if len(rows) < 5:
                            return
                        cursor = rows[-1]

                yield walk

        layouts.latency("keyset: a contact's history, 5 a page", contact_pages)

        def schema_pages(table: str) -> Iterator[Callable[[], Any]]:
            for schema_id in schema_ids * 3:

                def walk(schema_id: int = schema_id) -> None:
                    rows = conn.execute(
                        f"SELECT created_date, id, contact_id FROM {table} WHERE tenant_id = %s "
                        "AND schema_id = %s ORDER BY created_date DESC, id DESC LIMIT 50",
                        [tenant_id, schema_id],
                    ).fetchall()
                    for _ in range(19):
                        rows = conn.execute(
                            f"SELECT created_date, id, contact_id FROM {table} "
                            "WHERE tenant_id = %s AND schema_id = %s "
                            "AND (created_date, id) < (%s, %s) "
                            "ORDER BY created_date DESC, id DESC LIMIT 50",
                            [tenant_id, schema_id, *rows[-1][:2]],
                        ).fetchall()

                yield walk

        layouts.latency("keyset: a schema's newest, 20 pages of 50", schema_pages)

        rule_a = (
            "SELECT contact_id FROM {t} WHERE tenant_id = %s AND schema_id = %s "
            "AND created_date >= %s::timestamptz - interval '30 days' "
            "GROUP BY contact_id HAVING count(*) >= 3"
        )
        rule_b = (
            f"SELECT DISTINCT contact_id FROM {VALUES} WHERE tenant_id = %s AND schema_id = %s "
            "AND property = 'rating' AND number >= 4 "
            "AND created_date >= %s::timestamptz - interval '90 days'"
        )
        a_params = [tenant_id, schema_ids[0], now]
        b_params = [tenant_id, schema_ids[1], now]
        repeat = [None] * 7
        layouts.latency(
            "rule a: >= 3 of S in 30 days",
            each(f"SELECT count(*) FROM ({rule_a}) q", [a_params for _ in repeat]),
        )
        # Rule b reads the segmentable values only: the layout of interactions does not reach it.
        layouts.latency(
            "rule b: S2 rating >= 4 in 90 days (values)",
            each(f"SELECT count(*) FROM ({rule_b}) q", [b_params for _ in repeat]),
        )
        layouts.latency(
            "rule c: a and b",
            each(
                f"SELECT count(*) FROM (({rule_a}) INTERSECT ({rule_b})) q",
                [a_params + b_params for _ in repeat],
            ),
        )
        layouts.latency(
            "a schema's count over a year (card, charts)",
            each(
                "SELECT count(*) FROM {t} WHERE tenant_id = %s AND schema_id = %s "
                "AND created_date >= %s::timestamptz - interval '365 days'",
                [a_params for _ in repeat],
            ),
        )

        layouts.header("Inserts, rows a second (ratio: plain's rate over partitioned's):")

        def new_rows(count: int) -> list[tuple[Any, ...]]:
            return [
                (
                    uuid7(),
                    tenant_id,
                    rng.choice(contacts),
                    rng.choice(schema_ids),
                    now,
                    now,
                    '{"rating": 3}',
                    "[]",
                )
                for _ in range(count)
            ]

        def singles(prepare: bool) -> Callable[[str], tuple[int, float]]:
            def run(table: str) -> tuple[int, float]:
                rows = new_rows(args.singles)
                statement = (
                    f"INSERT INTO {table} ({COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
                )
                start = time.perf_counter()
                for row in rows:
                    conn.execute(statement, row, prepare=prepare)
                elapsed = time.perf_counter() - start
                conn.execute(f"DELETE FROM {table} WHERE id = ANY(%s)", [[r[0] for r in rows]])
                return len(rows), elapsed

            return run

        def batches(table: str) -> tuple[int, float]:
            written: list[Any] = []
            elapsed = 0.0
            for _ in range(args.batches):
                rows = new_rows(1000)
                start = time.perf_counter()
                with (
                    conn.transaction(),
                    conn.cursor() as cursor,
                    cursor.copy(f"COPY {table} ({COLUMNS}) FROM STDIN") as copy,
                ):
                    for row in rows:
                        copy.write_row(row)
                elapsed += time.perf_counter() - start
                written.extend(r[0] for r in rows)
            conn.execute(f"DELETE FROM {table} WHERE id = ANY(%s)", [written])
            return len(written), elapsed

        layouts.rate("single-row INSERT, one transaction each", singles(prepare=False))
        layouts.rate("the same, a prepared statement", singles(prepare=True))
        layouts.rate("COPY, 1,000 rows a transaction", batches)

        if not args.skip_retention:
            retention(conn)
        conn.execute(f"VACUUM ANALYZE {PLAIN}")
        conn.execute(f"VACUUM ANALYZE {PARTITIONED}")


@contextmanager
def rolled_back(conn: psycopg.Connection[Any]) -> Iterator[None]:
    conn.execute("BEGIN")
    try:
        yield
    finally:
        conn.execute("ROLLBACK")


def retention(conn: psycopg.Connection[Any]) -> None:
    """The oldest full month deleted from each layout, in a transaction rolled back."""
    first = one(conn, f"SELECT min(created_date) FROM {PLAIN}")[0]
    month = next_month(first)
    upper = next_month(month)
    print(f"\nRetention: the month from {month:%Y-%m-%d} (seconds; each rolled back):")
    with rolled_back(conn):
        conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
        start = time.perf_counter()
        values = conn.execute(
            f"DELETE FROM {VALUES} WHERE created_date >= %s AND created_date < %s", [month, upper]
        ).rowcount
        values_s = time.perf_counter() - start
        start = time.perf_counter()
        deleted = conn.execute(
            f"DELETE FROM {PLAIN} WHERE created_date >= %s AND created_date < %s", [month, upper]
        ).rowcount
        plain_s = time.perf_counter() - start
    print(f"  {values:,} segmentable values DELETEd first (either layout): {values_s:.1f} s")
    print(f"  plain: DELETE of its {deleted:,} interactions: {plain_s:.1f} s")
    partition = f"{PARTITIONED}_{month:%Y%m}"
    with rolled_back(conn):
        start = time.perf_counter()
        conn.execute(f"ALTER TABLE {PARTITIONED} DETACH PARTITION {partition}")
        conn.execute(f"DROP TABLE {partition}")
        part_s = time.perf_counter() - start
    print(f"  partitioned: DETACH and DROP of {partition}: {part_s:.3f} s")


if __name__ == "__main__":
    main()

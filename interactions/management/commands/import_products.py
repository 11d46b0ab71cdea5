"""``manage.py import_products FILE --tenant SLUG``: load a product catalog from NDJSON or CSV.

The file is streamed a batch at a time; each batch is upserted in one transaction by the service
behind POST products/bulk (a product whose SKU exists is replaced whole). Refused lines go to an
errors file with their line numbers. Running the command again is safe: it upserts the same
products again, so an interrupted import is finished by running it again.
"""

import json
from collections.abc import Iterator
from typing import IO, Any, TextIO, cast

from django.core.management.base import BaseCommand, CommandParser

from engage_site.progress import Progress
from interactions.management.import_options import import_arguments_add, import_options_read
from interactions.models import Tenant
from interactions.product_files import Record, csv_products, ndjson_records
from interactions.services.products import ProductResult, products_upsert_many


class Command(BaseCommand):
    help = (
        "Import products from an NDJSON (one product a line, as the API takes it) or CSV file, "
        "upserting them by SKU; refused lines are written to an errors file."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        import_arguments_add(parser, file_help="The NDJSON or CSV file.")

    def handle(self, *args: Any, **options: Any) -> None:
        shared = import_options_read(options)
        path, errors_path = shared.path, shared.errors_path
        meter = Progress(
            cast(TextIO, self.stderr._out),
            path.stat().st_size,
            shared.show_progress,
            unit="products",
        )
        with open(path, "rb") as stream, open(errors_path, "w", encoding="utf-8") as errors:
            records = (
                csv_products(stream) if shared.file_format == "csv" else ndjson_records(stream)
            )
            upserted, refused = _import(
                tenant=shared.tenant,
                records=records,
                stream=stream,
                errors=errors,
                batch_size=shared.batch_size,
                meter=meter,
            )
        self.stdout.write(
            f"Imported {path}: {upserted} upserted, {refused} refused (see {errors_path})."
        )


def _import(
    *,
    tenant: Tenant,
    records: Iterator[Record],
    stream: IO[bytes],
    errors: IO[str],
    batch_size: int,
    meter: Progress,
) -> tuple[int, int]:
    """Upsert the records a batch a transaction; how many were upserted and refused."""
    counts = [0, 0]
    chunk: list[Record] = []

    def flush() -> None:
        parsed = [record for record in chunk if record.error is None]
        results = products_upsert_many(
            tenant=tenant, documents=[record.document for record in parsed]
        )
        upserted = sum(1 for result in results if result.upserted)
        counts[0] += upserted
        counts[1] += len(chunk) - upserted
        _errors_write(errors, chunk, dict(zip((r.line for r in parsed), results, strict=True)))
        meter.show(items=len(chunk), position=stream.tell(), detail=f"line {chunk[-1].line:,}")
        chunk.clear()

    for record in records:
        chunk.append(record)
        if len(chunk) >= batch_size:
            flush()
    if chunk:
        flush()
    meter.show(items=0, position=stream.tell(), force=True)
    meter.end()
    return counts[0], counts[1]


def _errors_write(errors: IO[str], chunk: list[Record], results: dict[int, ProductResult]) -> None:
    """One NDJSON entry per refused line of ``chunk``, in line order."""
    for record in chunk:
        entry: dict[str, Any]
        if record.error is not None:
            entry = {
                "line": record.line,
                "errorCode": record.error.error_code,
                "message": record.error.message,
            }
        elif not results[record.line].upserted:
            entry = {
                "line": record.line,
                "errorCode": "InvalidProduct",
                "errors": [problem.as_dict() for problem in results[record.line].problems],
            }
        else:
            continue
        errors.write(json.dumps(entry, ensure_ascii=False) + "\n")
    errors.flush()

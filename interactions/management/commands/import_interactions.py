"""``manage.py import_interactions FILE --tenant SLUG``: load history from NDJSON or CSV.

The file is streamed a chunk at a time; each chunk is checked like POST interactions/batch and
stored in one transaction with the file's progress, so an interrupted import (Ctrl-C, a crash) is
resumed by running the same command again, from the line after the last committed one.
"""

import json
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import IO, Any, TextIO, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from engage_site.progress import Progress
from interactions.import_files import (
    MappingError,
    Record,
    csv_records,
    declared_types,
    file_key,
    mapping_parse,
    ndjson_records,
)
from interactions.management.import_options import import_arguments_add, import_options_read
from interactions.models import ImportProgress, Tenant
from interactions.selectors import interaction_schema_list
from interactions.services.imports import (
    ImportRunning,
    import_chunk_store,
    import_progress_finish,
    import_progress_start,
)
from interactions.services.ingest import ItemResult


class Command(BaseCommand):
    help = (
        "Import interactions from an NDJSON or CSV file, checked like POST interactions, with "
        "refusals written to an errors file. Resumable: run it again after an interruption."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        import_arguments_add(parser, file_help="The NDJSON (one interaction a line) or CSV file.")
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="FIELD=COLUMN",
            help=(
                "CSV: the column a field comes from; FIELD is contactId, schemaId, createdDate or "
                "payload.NAME. Repeat for each field; columns named like a field map themselves."
            ),
        )
        parser.add_argument(
            "--fire-automations",
            action="store_true",
            help="Let the interactions start automations (off by default: history is old news).",
        )
        parser.add_argument(
            "--restart",
            action="store_true",
            help="Import the file again from its first line, even if it was imported before.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        shared = import_options_read(options)
        path, tenant, file_format = shared.path, shared.tenant, shared.file_format
        try:
            mapping = mapping_parse(options["map"])
        except ValueError as error:
            raise CommandError(str(error)) from None
        if mapping and file_format != "csv":
            raise CommandError("--map is for CSV files.")
        errors_path = shared.errors_path

        progress = import_progress_start(
            tenant=tenant,
            file_key=file_key(path),
            file_name=str(path),
            restart=options["restart"],
        )
        if progress.finished_at is not None:
            self.stdout.write(
                f"{path} was imported already ({progress.accepted} stored, {progress.refused} "
                "refused); --restart imports it again."
            )
            return
        if progress.last_line:
            self.stdout.write(f"Resuming {path} after line {progress.last_line}.")
        errors = _errors_file(errors_path, keep_through=progress.last_line)
        stop = _StopOnSigint()
        try:
            with open(path, "rb") as stream, errors:
                records = (
                    csv_records(stream, mapping, _property_types(tenant))
                    if file_format == "csv"
                    else ndjson_records(stream)
                )
                finished = self._import(
                    records=records,
                    stream=stream,
                    progress=progress,
                    errors=errors,
                    stop=stop,
                    batch_size=shared.batch_size,
                    fire_automations=options["fire_automations"],
                    meter=Progress(
                        cast(TextIO, self.stderr._out),
                        path.stat().st_size,
                        shared.show_progress,
                    ),
                )
        except MappingError as error:
            raise CommandError(str(error)) from None
        except ImportRunning as error:
            raise CommandError(f"Stopped: {error}.") from None
        finally:
            stop.restore()
        summary = f"{progress.accepted} stored, {progress.refused} refused (see {errors_path})"
        if not finished:
            raise CommandError(
                f"Interrupted: lines up to {progress.last_line} are stored ({summary}). Run the "
                "same command again to resume after that line.",
                returncode=130,
            )
        import_progress_finish(progress=progress)
        self.stdout.write(f"Imported {path} to line {progress.last_line}: {summary}.")

    def _import(
        self,
        *,
        records: Iterator[Record],
        stream: IO[bytes],
        progress: ImportProgress,
        errors: IO[str],
        stop: "_StopOnSigint",
        batch_size: int,
        fire_automations: bool,
        meter: Progress,
    ) -> bool:
        """Store the records after the progress's line, a chunk a transaction; False when a
        SIGINT stopped it before the end of the file."""
        chunk: list[Record] = []

        def flush(through: int) -> None:
            parsed = [record for record in chunk if record.error is None]
            unparsed = [record for record in chunk if record.error is not None]
            import_chunk_store(
                progress=progress,
                documents=[record.document for record in parsed],
                bodies=[record.body for record in parsed],
                last_line=through,
                unparsed=len(unparsed),
                received_at=timezone.now(),
                fire_automations=fire_automations,
                # Written before the commit: see _errors_file for why that is safe.
                before_commit=lambda results: _errors_write(errors, parsed, results, unparsed),
            )
            meter.show(items=len(chunk), position=stream.tell(), detail=f"line {through:,}")
            chunk.clear()

        finished = True
        for record in records:
            if record.line <= progress.last_line:
                continue
            chunk.append(record)
            if len(chunk) >= batch_size:
                flush(record.line)
                if stop.requested:
                    finished = False
                    break
        if chunk:
            flush(chunk[-1].line)
        meter.show(
            items=0, position=stream.tell(), detail=f"line {progress.last_line:,}", force=True
        )
        meter.end()
        return finished


def _property_types(tenant: Tenant) -> Any:
    """The declared payload types of the tenant's schemas, by schema id, read once."""
    types = {
        schema.schema_id: declared_types(schema.json_schema)
        for schema in interaction_schema_list(tenant=tenant)
    }
    return lambda schema_id: types.get(schema_id, {}) if isinstance(schema_id, str) else {}


def _errors_file(path: Path, *, keep_through: int) -> IO[str]:
    """The errors file, open for appending, holding only the entries of committed lines.

    A chunk's refusals are written before its transaction commits, so after a crash the file may
    hold entries past the last committed line: those lines are imported again, and their entries
    dropped here first. A fresh import starts an empty file.
    """
    if keep_through == 0 or not path.exists():
        return open(path, "w", encoding="utf-8")
    kept = path.with_name(path.name + ".tmp")
    with open(path, encoding="utf-8") as old, open(kept, "w", encoding="utf-8") as new:
        for entry in old:
            try:
                line = json.loads(entry)["line"]
            except (ValueError, KeyError, TypeError):
                continue
            if isinstance(line, int) and line <= keep_through:
                new.write(entry)
    os.replace(kept, path)
    return open(path, "a", encoding="utf-8")


def _errors_write(
    errors: IO[str], parsed: list[Record], results: list[ItemResult], unparsed: list[Record]
) -> None:
    entries: list[tuple[int, dict[str, Any]]] = []
    for record in unparsed:
        assert record.error is not None  # noqa: S101 - unparsed records carry their error
        entry: dict[str, Any] = {
            "line": record.line,
            "status": record.error.status_code,
            "errorCode": record.error.error_code,
            "message": record.error.message,
            "errors": [problem.as_dict() for problem in record.error.errors],
        }
        entries.append((record.line, entry))
    for record, result in zip(parsed, results, strict=True):
        if result.refusal is None:
            continue
        entry = {
            "line": record.line,
            "status": result.status,
            "errorCode": result.refusal.error.error_code,
            "errors": [problem.as_dict() for problem in result.refusal.problems],
        }
        if result.refused_id is not None:
            entry["refusedId"] = str(result.refused_id)
        entries.append((record.line, entry))
    for _, entry in sorted(entries, key=lambda pair: pair[0]):
        errors.write(json.dumps(entry, ensure_ascii=False) + "\n")
    errors.flush()


class _StopOnSigint:
    """The first SIGINT lets the chunk being stored finish, then stops; a second one stops at once
    (the chunk's transaction rolls back, so nothing is half stored either way)."""

    def __init__(self) -> None:
        self.requested = False
        self._previous = signal.getsignal(signal.SIGINT)
        signal.signal(signal.SIGINT, self._handle)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        sys.stderr.write("\nStopping after the chunk being stored (Ctrl-C again: at once) …\n")

    def restore(self) -> None:
        signal.signal(signal.SIGINT, self._previous)

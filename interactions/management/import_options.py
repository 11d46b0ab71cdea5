"""The arguments and checks every ``import_*`` command shares: a file, a tenant, its format, where
refused lines go, the batch size and whether progress is shown."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from interactions.models import Tenant

FORMATS = ("ndjson", "csv")


@dataclass(frozen=True)
class ImportOptions:
    path: Path
    tenant: Tenant
    file_format: str  # one of FORMATS
    errors_path: Path
    batch_size: int
    show_progress: bool


def import_arguments_add(parser: CommandParser, *, file_help: str) -> None:
    parser.add_argument("file", help=file_help)
    parser.add_argument("--tenant", required=True, help="The tenant's slug.")
    parser.add_argument(
        "--format", choices=FORMATS, help="Default: from the extension (.csv, else ndjson)."
    )
    parser.add_argument(
        "--errors", help="Where refused lines are written (default: FILE.errors.ndjson)."
    )
    parser.add_argument("--batch-size", type=int, default=1000, help="Lines a transaction.")
    parser.add_argument("--no-progress", action="store_true", help="No progress on stderr.")


def import_options_read(options: dict[str, Any]) -> ImportOptions:
    """The shared options, checked; a CommandError says what is wrong."""
    path = Path(options["file"])
    if not path.is_file():
        raise CommandError(f"No file at {path}.")
    tenant = Tenant.objects.filter(slug=options["tenant"]).first()
    if tenant is None:
        raise CommandError(f"No tenant has the slug {options['tenant']!r}.")
    if options["batch_size"] < 1:
        raise CommandError("--batch-size must be at least 1.")
    return ImportOptions(
        path=path,
        tenant=tenant,
        file_format=options["format"] or ("csv" if path.suffix.lower() == ".csv" else "ndjson"),
        errors_path=Path(options["errors"] or f"{path}.errors.ndjson"),
        batch_size=options["batch_size"],
        show_progress=not options["no_progress"],
    )

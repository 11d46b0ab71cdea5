"""Reading files of interactions for ``manage.py import_interactions``: NDJSON lines, or CSV rows
turned into interaction documents by a column mapping. Pure (no ORM), and streamed: a record at a
time, so a file of any size is read in constant memory.

CSV mapping: ``FIELD=COLUMN``, where FIELD is ``contactId``, ``schemaId``, ``createdDate`` or
``payload.NAME`` (``payload.a.b`` nests). Columns whose header already names a field map to it
without saying so. A payload value is read as its schema declares the property (integer, number,
boolean, object or array as JSON, else text); a value that doesn't read as declared is passed on as
text, for the schema check to drop with its usual reason. An empty cell is a missing value.
"""

import csv
import hashlib
import io
import json
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from engage_site.api.exceptions import ApiError, InvalidJson
from engage_site.api.parsers import loads_strict

FIELDS = ("contactId", "schemaId", "createdDate")
PAYLOAD = "payload."
_HEAD_BYTES = 64 * 1024
_INTEGER = re.compile(r"-?(0|[1-9][0-9]*)")
_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")

# The schema's declared type of each payload property, by the schema id a row names.
PropertyTypes = Callable[[Any], Mapping[str, str]]


class MappingError(ValueError):
    """The CSV mapping can't work with this file (it names a column the file hasn't)."""


@dataclass(frozen=True)
class Record:
    """One interaction of the file: the line it starts on, the document and its raw copy, or the
    error that kept the line from being a document at all (then ``document`` is None)."""

    line: int
    document: Any
    body: bytes
    error: ApiError | None = None


def file_key(path: Path) -> str:
    """A name for the file's content, the same wherever the file is moved or copied: its size and
    a hash of its first 64 KB (enough to tell apart the files one tenant imports)."""
    size = os.path.getsize(path)
    with open(path, "rb") as stream:
        head = stream.read(_HEAD_BYTES)
    return f"{size}:{hashlib.sha256(head).hexdigest()}"


def ndjson_records(stream: BinaryIO) -> Iterator[Record]:
    """One record per non-blank line; its raw copy is the line without surrounding whitespace."""
    for number, raw in enumerate(stream, start=1):
        line = raw.strip(b" \t\r\n")
        if not line:
            continue
        try:
            yield Record(number, loads_strict(line), line)
        except InvalidJson as error:
            yield Record(number, None, line, error)


def mapping_parse(specs: Sequence[str]) -> dict[str, str]:
    """``FIELD=COLUMN`` specs as {field: column}; ValueError naming a spec that isn't one."""
    mapping: dict[str, str] = {}
    for spec in specs:
        field, sep, column = spec.partition("=")
        field, column = field.strip(), column.strip()
        if not sep or not field or not column:
            raise ValueError(f"--map {spec!r}: write FIELD=COLUMN, e.g. contactId=customer_id")
        names_a_payload_property = field.startswith(PAYLOAD) and len(field) > len(PAYLOAD)
        if field not in FIELDS and not names_a_payload_property:
            raise ValueError(
                f"--map {spec!r}: the field must be one of {', '.join(FIELDS)} or payload.NAME"
            )
        mapping[field] = column
    return mapping


def csv_records(
    stream: BinaryIO, mapping: Mapping[str, str], property_types: PropertyTypes
) -> Iterator[Record]:
    """One record per row after the header; its raw copy is the document built from the row (a
    CSV row has no JSON text of its own). MappingError when the mapping names a missing column."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    try:
        yield from _csv_records(text, mapping, property_types)
    finally:
        text.detach()  # the caller's stream stays open


def _csv_records(
    text: io.TextIOWrapper, mapping: Mapping[str, str], property_types: PropertyTypes
) -> Iterator[Record]:
    reader = csv.reader(text)
    header = next(reader, None)
    if header is None:
        return
    columns = {name.strip(): index for index, name in enumerate(header)}
    wanted = {name: name for name in columns if name in FIELDS or name.startswith(PAYLOAD)}
    wanted.update(mapping)
    missing = sorted(column for column in wanted.values() if column not in columns)
    if missing:
        raise MappingError(f"the file has no column {', '.join(map(repr, missing))}")
    fields = [(field, columns[column]) for field, column in wanted.items()]
    for line, row, unreadable in csv_rows(reader):
        if unreadable is not None:
            yield unreadable
            continue
        document = _document(row, fields, property_types)
        body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
        yield Record(line, document, body)


def csv_rows(reader: Any) -> Iterator[tuple[int, list[str], Record | None]]:
    """The non-blank rows of a ``csv.reader`` after its header, each with the line it starts on;
    a row the reader can't read comes as a refused record instead (the rows after it still do)."""
    while True:
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            failed = InvalidJson(f"The CSV row can't be read: {error}.")
            yield line, [], Record(line, None, b"", failed)
            continue
        if any(cell.strip() for cell in row):
            yield line, row, None


def _document(
    row: list[str], fields: list[tuple[str, int]], property_types: PropertyTypes
) -> dict[str, Any]:
    document: dict[str, Any] = {"payload": {}}
    payload_cells = []
    for field, index in fields:
        value = row[index] if index < len(row) else ""
        if value == "":
            continue
        if field.startswith(PAYLOAD):
            payload_cells.append((field[len(PAYLOAD) :].split("."), value))
        else:
            document[field] = value
    types = property_types(document.get("schemaId"))
    for path, value in payload_cells:
        node = document["payload"]
        for part in path[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                break
        else:
            node[path[-1]] = _typed(value, types.get(path[0]) if len(path) == 1 else None)
    return document


def _typed(value: str, declared: str | None) -> Any:
    """``value`` read as the schema declares its property; as text when it doesn't read so."""
    if declared == "integer" and _INTEGER.fullmatch(value):
        return int(value)
    if declared == "number" and _NUMBER.fullmatch(value):
        number = float(value)
        return int(number) if number.is_integer() and _INTEGER.fullmatch(value) else number
    if declared == "boolean" and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if declared in ("object", "array"):
        try:
            return loads_strict(value.encode())
        except InvalidJson:
            return value
    return value


def declared_types(json_schema: Mapping[str, Any]) -> dict[str, str]:
    """Each top-level property's declared type (the first non-null one of a list)."""
    types: dict[str, str] = {}
    properties = json_schema.get("properties")
    if not isinstance(properties, dict):
        return types
    for name, declaration in properties.items():
        declared = declaration.get("type") if isinstance(declaration, dict) else None
        if isinstance(declared, list):
            declared = next((kind for kind in declared if kind != "null"), None)
        if isinstance(declared, str):
            types[name] = declared
    return types

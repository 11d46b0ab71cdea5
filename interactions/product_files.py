"""Reading product files for ``manage.py import_products``: NDJSON lines (each a product as the API
takes it), or CSV rows turned into products. Pure (no ORM) and streamed, a record at a time.

CSV columns: ``sku``, ``name``, ``brand``, ``categories`` (the path, broadest first, levels
separated by ``>``: ``Outerwear > Jackets``), ``price`` and ``currency``, ``imageUrl``, ``url``,
``active`` (true/false, yes/no, 1/0) and ``attributes.NAME`` for each attribute (its text as it
is). An empty cell is a missing value; other columns are refused as unknown fields, like any other
unknown field of a product.
"""

import csv
import io
import json
from collections.abc import Iterator
from typing import Any, BinaryIO

from interactions.import_files import Record, csv_rows, ndjson_records

CATEGORY_SEPARATOR = ">"
ATTRIBUTES = "attributes."
_TRUE, _FALSE = {"true", "yes", "1"}, {"false", "no", "0"}

__all__ = ["Record", "csv_products", "ndjson_records"]


def _number(text: str) -> Any:
    """The number ``text`` spells, or the text (for the product check to refuse by type)."""
    try:
        value = float(text)
    except ValueError:
        return text
    return (
        int(value) if value.is_integer() and "." not in text and "e" not in text.lower() else value
    )


def _active(text: str) -> Any:
    lowered = text.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    return text


def _product(header: list[str], row: list[str]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    attributes: dict[str, Any] = {}
    price: dict[str, Any] = {}
    for name, cell in zip(header, row, strict=False):
        value = cell.strip()
        if not value:
            continue
        if name.startswith(ATTRIBUTES) and len(name) > len(ATTRIBUTES):
            attributes[name[len(ATTRIBUTES) :]] = value
        elif name == "categories":
            document[name] = [level.strip() for level in value.split(CATEGORY_SEPARATOR)]
        elif name == "price":
            price["amount"] = _number(value)
        elif name == "currency":
            price["currency"] = value
        elif name == "active":
            document[name] = _active(value)
        else:
            document[name] = value
    if attributes:
        document["attributes"] = attributes
    if price:
        document["price"] = price
    return document


def csv_products(stream: BinaryIO) -> Iterator[Record]:
    """One record per non-blank row after the header, numbered by the line it starts on."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    try:
        reader = csv.reader(text)
        header = [name.strip() for name in next(reader, [])]
        for line, row, unreadable in csv_rows(reader):
            if unreadable is not None:
                yield unreadable
                continue
            document = _product(header, row)
            yield Record(line, document, json.dumps(document, ensure_ascii=False).encode())
    finally:
        text.detach()  # the caller's stream stays open

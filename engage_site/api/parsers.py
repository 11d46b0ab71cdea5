"""Strict JSON: what the API accepts as a body, and the one place bodies are parsed."""

import json
import math
import re
from typing import Any

from rest_framework.parsers import BaseParser

from engage_site.api.exceptions import InvalidJson


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:40]} is out of range")
    return value


MAX_DEPTH = 64
# Anything deeper is refused: serialising such a document again (JSON columns, fingerprints) would
# exhaust the interpreter's recursion limit, and no body of this API needs it.


def _bounded_int(text: str) -> int:
    if len(text) > 1000:
        raise ValueError(f"a number has {len(text)} digits, more than 1000")
    return int(text)


def _check_tree(document: Any) -> None:
    """Refuse nesting deeper than MAX_DEPTH and strings no database can store (NUL, lone
    surrogates). Iterative, so a deep document can't exhaust the stack here."""
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, str):
            _check_text(node)
        elif isinstance(node, dict | list):
            if depth > MAX_DEPTH:
                raise InvalidJson(f"The request body is nested deeper than {MAX_DEPTH} levels.")
            if isinstance(node, dict):
                for key, value in node.items():
                    _check_text(key)
                    stack.append((value, depth + 1))
            else:
                stack.extend((value, depth + 1) for value in node)


def _check_text(text: str) -> None:
    if "\x00" in text:
        raise InvalidJson("The request body has a NUL character (\\u0000) in a string.")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidJson("The request body has an unpaired surrogate (\\ud800-\\udfff).") from None


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"the key {key!r} appears twice in one object")
            seen.add(key)
    return document


_DECODER = json.JSONDecoder(
    parse_constant=_reject_constant,
    parse_float=_finite_float,
    parse_int=_bounded_int,
    object_pairs_hook=_object_without_duplicates,
)
_WHITESPACE = re.compile(r"[ \t\n\r]*")


def _text(raw: bytes) -> str:
    if not raw.strip():
        raise InvalidJson("The request body is empty; it must be a JSON document.")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidJson("The request body is not UTF-8 text.") from None


def loads_strict(raw: bytes) -> Any:
    """The JSON document in ``raw``; raises InvalidJson for anything RFC 8259 does not allow.

    Refuses NaN and Infinity, numbers that overflow a double or have over 1000 digits, duplicate
    keys, text that is not UTF-8, strings with NUL or lone surrogates, and nesting deeper than
    MAX_DEPTH.
    """
    text = _text(raw)
    try:
        document = _DECODER.decode(text)
    except RecursionError:
        raise InvalidJson("The request body is nested too deeply.") from None
    except ValueError as error:
        raise InvalidJson(f"The request body is not valid JSON: {error}.") from None
    _check_tree(document)
    return document


def loads_strict_with_items(raw: bytes, member: str) -> tuple[Any, list[bytes] | None]:
    """``loads_strict``, and, when the document is an object whose ``member`` is an array, the
    exact bytes of each of the array's elements as they are in ``raw`` (None otherwise).

    Each element is parsed once, where it stands, so its bytes come at no extra cost: a batch
    keeps every item's own text as it was sent.
    """
    text = _text(raw)
    try:
        document, spans = _object_with_spans(text, member)
    except RecursionError:
        raise InvalidJson("The request body is nested too deeply.") from None
    except ValueError as error:
        raise InvalidJson(f"The request body is not valid JSON: {error}.") from None
    _check_tree(document)
    if spans is None:
        return document, None
    return document, [text[start:end].encode() for start, end in spans]


def _skip(text: str, index: int) -> int:
    match = _WHITESPACE.match(text, index)
    return match.end() if match else index


def _object_with_spans(text: str, member: str) -> tuple[Any, list[tuple[int, int]] | None]:
    """The document in ``text`` (as ``_DECODER.decode`` reads it) and the spans of the elements
    of its top-level ``member`` array, walking the top-level object by hand."""
    index = _skip(text, 0)
    if not text.startswith("{", index):
        return _DECODER.decode(text), None
    pairs: list[tuple[str, Any]] = []
    spans: list[tuple[int, int]] | None = None
    index = _skip(text, index + 1)
    if text.startswith("}", index):
        index += 1
    else:
        while True:
            if not text.startswith('"', index):
                message = "Expecting property name enclosed in double quotes"
                raise json.JSONDecodeError(message, text, index)
            key, index = _DECODER.raw_decode(text, index)  # a string, from its opening quote
            index = _skip(text, index)
            if not text.startswith(":", index):
                raise json.JSONDecodeError("Expecting ':' delimiter", text, index)
            index = _skip(text, index + 1)
            value: Any
            if key == member and text.startswith("[", index):
                value, index, spans = _array_with_spans(text, index)
            else:
                value, index = _DECODER.raw_decode(text, index)
            pairs.append((key, value))
            index = _skip(text, index)
            if text.startswith(",", index):
                index = _skip(text, index + 1)
                continue
            if text.startswith("}", index):
                index += 1
                break
            raise json.JSONDecodeError("Expecting ',' delimiter", text, index)
    if _skip(text, index) != len(text):
        raise json.JSONDecodeError("Extra data", text, _skip(text, index))
    return _object_without_duplicates(pairs), spans


def _array_with_spans(text: str, index: int) -> tuple[list[Any], int, list[tuple[int, int]]]:
    values: list[Any] = []
    spans: list[tuple[int, int]] = []
    index = _skip(text, index + 1)
    if text.startswith("]", index):
        return values, index + 1, spans
    while True:
        value, end = _DECODER.raw_decode(text, index)
        values.append(value)
        spans.append((index, end))
        index = _skip(text, end)
        if text.startswith(",", index):
            index = _skip(text, index + 1)
            continue
        if text.startswith("]", index):
            return values, index + 1, spans
        raise json.JSONDecodeError("Expecting ',' delimiter", text, index)


class StrictJSONParser(BaseParser):
    media_type = "application/json"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        return loads_strict(stream.read() if stream is not None else b"")

"""Strict JSON: what the API accepts as a body, and the one place bodies are parsed."""

import json
import math
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


def loads_strict(raw: bytes) -> Any:
    """The JSON document in ``raw``; raises InvalidJson for anything RFC 8259 does not allow.

    Refuses NaN and Infinity, numbers that overflow a double or have over 1000 digits, duplicate
    keys, text that is not UTF-8, strings with NUL or lone surrogates, and nesting deeper than
    MAX_DEPTH.
    """
    if not raw.strip():
        raise InvalidJson("The request body is empty; it must be a JSON document.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidJson("The request body is not UTF-8 text.") from None
    try:
        document = json.loads(
            text,
            parse_constant=_reject_constant,
            parse_float=_finite_float,
            parse_int=_bounded_int,
            object_pairs_hook=_object_without_duplicates,
        )
    except RecursionError:
        raise InvalidJson("The request body is nested too deeply.") from None
    except ValueError as error:
        raise InvalidJson(f"The request body is not valid JSON: {error}.") from None
    _check_tree(document)
    return document


class StrictJSONParser(BaseParser):
    media_type = "application/json"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        return loads_strict(stream.read() if stream is not None else b"")

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

    Refuses NaN and Infinity, numbers that overflow a double, duplicate keys, text that is not
    UTF-8 and nesting deeper than the interpreter's recursion limit.
    """
    if not raw.strip():
        raise InvalidJson("The request body is empty; it must be a JSON document.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidJson("The request body is not UTF-8 text.") from None
    try:
        return json.loads(
            text,
            parse_constant=_reject_constant,
            parse_float=_finite_float,
            object_pairs_hook=_object_without_duplicates,
        )
    except RecursionError:
        raise InvalidJson("The request body is nested too deeply.") from None
    except ValueError as error:
        raise InvalidJson(f"The request body is not valid JSON: {error}.") from None


class StrictJSONParser(BaseParser):
    media_type = "application/json"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        return loads_strict(stream.read() if stream is not None else b"")

"""What is derived from a schema row, built on first use and kept for the process's life: its
compiled validator, and its properties' display hints.

Schema rows are immutable (there is no update), so a row's primary key and creation time name one
document forever and the caches never need invalidating; they are bounded so that deleted schemas
age out. (The creation time guards against a primary key reused after a rolled-back insert.)
"""

import threading
from collections import OrderedDict
from datetime import datetime
from typing import Any, Protocol

from interactions.schema_validation.display import PropertyDisplay, describe_properties
from interactions.schema_validation.payloads import CompiledSchema

_MAX_ENTRIES = 2048


class SchemaRow(Protocol):
    """What the caches read of a schema row (an ``InteractionSchema``)."""

    @property
    def pk(self) -> Any: ...

    @property
    def created_at(self) -> datetime: ...

    @property
    def json_schema(self) -> Any: ...


_compiled: OrderedDict[tuple[int, datetime], CompiledSchema] = OrderedDict()
_hints: OrderedDict[tuple[int, datetime], tuple[PropertyDisplay, ...]] = OrderedDict()
_lock = threading.Lock()


def compiled_schema(schema: SchemaRow) -> CompiledSchema:
    key = (schema.pk, schema.created_at)
    with _lock:
        found = _compiled.get(key)
        if found is not None:
            _compiled.move_to_end(key)
            return found
    built = CompiledSchema(schema.json_schema)
    with _lock:
        _compiled[key] = built
        if len(_compiled) > _MAX_ENTRIES:
            _compiled.popitem(last=False)
    return built


def display_hints(schema: SchemaRow) -> tuple[PropertyDisplay, ...]:
    """The schema's properties with their display hints, in sortOrder."""
    key = (schema.pk, schema.created_at)
    with _lock:
        found = _hints.get(key)
        if found is not None:
            _hints.move_to_end(key)
            return found
    parsed = tuple(describe_properties(schema.json_schema))
    with _lock:
        _hints[key] = parsed
        if len(_hints) > _MAX_ENTRIES:
            _hints.popitem(last=False)
    return parsed

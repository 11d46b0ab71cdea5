"""Compiled validators, one per schema row, built on first use and kept for the process's life.

Schema rows are immutable (there is no update), so a row's primary key and creation time name one
document forever and the cache never needs invalidating; it is bounded so that deleted schemas age
out. (The creation time guards against a primary key reused after a rolled-back insert.)
"""

import threading
from collections import OrderedDict
from datetime import datetime

from interactions.models import InteractionSchema
from interactions.schema_validation import CompiledSchema

_MAX_ENTRIES = 2048
_compiled: OrderedDict[tuple[int, datetime], CompiledSchema] = OrderedDict()
_lock = threading.Lock()


def compiled_schema(schema: InteractionSchema) -> CompiledSchema:
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

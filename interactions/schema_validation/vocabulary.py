"""The words a schema may use (keywords, property types, schema ids) and how loosely-typed
values are read (display flags and sort orders arrive as strings or as JSON values)."""

import math
import re
import sys
from typing import Any

import re2

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
PROPERTY_TYPES = ("string", "number", "integer", "boolean")
TOP_KEYWORDS = ("$schema", "type", "properties", "required", "title", "description")
RESERVED_PRODUCT_SKU = "productSku"
MAX_PROPERTY_NAME_LENGTH = 128
MAX_PATTERN_LENGTH = 1000
MAX_ENUM_VALUES = 1000
SCHEMA_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
# A property name is an identifier: it is a segment of the dotted field paths that name problems
# (``payload.price``), a key in JavaScript objects and a CSV column, so dots, spaces, ``$`` and
# the like would make those ambiguous or unsafe. ASCII only, as in every Engage example.
PROPERTY_NAME = re.compile(rf"[A-Za-z_][A-Za-z0-9_]{{0,{MAX_PROPERTY_NAME_LENGTH - 1}}}")
# Names starting with two underscores are the host languages' own (``__proto__``).
RESERVED_NAME_PREFIX = "__"

TYPE_NAMES = {
    "string": "a string",
    "number": "a number",
    "integer": "an integer",
    "boolean": "a boolean",
}


def is_schema_id(value: Any) -> bool:
    """Whether ``value`` can be a schema id: 1-64 letters, digits, '-' or '_' (case-sensitive)."""
    return isinstance(value, str) and SCHEMA_ID.fullmatch(value) is not None


def property_name_problem(name: str) -> str | None:
    """Why ``name`` can't be a new property's name, or None when it can."""
    if len(name) > MAX_PROPERTY_NAME_LENGTH:
        return f"is too long: a property name has at most {MAX_PROPERTY_NAME_LENGTH} characters"
    if PROPERTY_NAME.fullmatch(name) is None:
        return (
            f"{name!r} can't be a property name: use letters (a-z, A-Z), digits and _, "
            "not starting with a digit"
        )
    if name.startswith(RESERVED_NAME_PREFIX):
        return f"{name!r} can't be a property name: names starting with __ are reserved"
    return None


def read_flag(value: Any) -> bool | None:
    """A display flag as a bool, or None if it is neither a boolean nor "true"/"false"."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def read_sort_order(value: Any) -> int | None:
    """A sortOrder as an int, or None if it is neither an integer nor a string holding one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


# The largest magnitude of a number every layer can hold: a double's (Python's float, SQLite's
# REAL, what JSON readers elsewhere parse into).
MAX_NUMBER = sys.float_info.max
NUMBER_RANGE = f"a number a double can hold, from -{MAX_NUMBER!r} to {MAX_NUMBER!r}"
# minLength and maxLength: the largest whole number a double holds exactly.
MAX_LENGTH_BOUND = 2**53 - 1


def is_numeric(value: Any) -> bool:
    """A JSON number of any size (booleans are not numbers); see ``is_number`` for the bounds."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    """A JSON number every layer can hold: not a boolean, finite, and within a double's range.

    JSON itself allows an integer of 400 digits, and Python holds it, but converting it to a float
    (SQLite, comparisons, ``math.isfinite``) raises OverflowError; such a number is refused where
    it enters, so nothing downstream meets one. Never raises, whatever the value.
    """
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return -MAX_NUMBER <= value <= MAX_NUMBER  # int/float comparison is exact, never overflows
    return isinstance(value, float) and math.isfinite(value)


def matches_type(value: Any, type_name: str) -> bool:
    if type_name == "string":
        return isinstance(value, str)
    if type_name == "boolean":
        return isinstance(value, bool)
    if type_name == "integer":
        return is_number(value) and (isinstance(value, int) or value.is_integer())
    return is_number(value)


def compile_pattern(pattern: str) -> Any:
    """The RE2 program for a pattern; raises ValueError if RE2 can't run it in linear time."""
    try:
        return re2.compile(pattern)
    except re2.error as error:
        raise ValueError(str(error)) from None

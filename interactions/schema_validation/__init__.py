"""Interaction schemas: the rules a schema document must follow, and checking payloads against it.

Pure code (no Django, no database) so it is testable in milliseconds and usable from the API, the
admin's schema builder and background jobs alike.

A schema is an allow-listed subset of JSON Schema draft 2020-12: one flat object of scalar
properties. Nothing in it can reference another document, so validating a payload never fetches a
URL or reads a file, and patterns are compiled with RE2, which runs in linear time.

- ``vocabulary``: allowed words, schema ids, reading loosely-typed display values, and the
  numbers every layer can hold (``is_number``);
- ``keywords``: one checker per property keyword; ``document``: the whole schema document;
- ``display``: display hints; ``payloads``: splitting a payload into kept, dropped, violations;
- ``cache``: compiled validators and display hints per schema row, kept for the process's life.
"""

from interactions.schema_validation.cache import compiled_schema, display_hints
from interactions.schema_validation.display import PropertyDisplay, describe_properties
from interactions.schema_validation.document import (
    SchemaLimits,
    check_schema_document,
    property_count_problem,
    segmentable_property_names,
    segmentation_limit_problem,
)
from interactions.schema_validation.payloads import CompiledSchema, PayloadSplit
from interactions.schema_validation.vocabulary import (
    NUMBER_RANGE,
    PROPERTY_TYPES,
    RESERVED_PRODUCT_SKU,
    compile_pattern,
    is_number,
    is_schema_id,
    property_name_problem,
    read_flag,
    read_sort_order,
)

__all__ = [
    "NUMBER_RANGE",
    "PROPERTY_TYPES",
    "RESERVED_PRODUCT_SKU",
    "CompiledSchema",
    "PayloadSplit",
    "PropertyDisplay",
    "SchemaLimits",
    "check_schema_document",
    "compile_pattern",
    "compiled_schema",
    "describe_properties",
    "display_hints",
    "is_number",
    "is_schema_id",
    "property_count_problem",
    "property_name_problem",
    "read_flag",
    "read_sort_order",
    "segmentable_property_names",
    "segmentation_limit_problem",
]

"""What a rule may use of a tenant's interaction schemas: a ``Catalog`` of ``SchemaInfo`` by
schema id, each with its properties. Plain values; ``segments.selectors.segment_catalog`` builds
one from the database, tests build them by hand."""

from collections.abc import Mapping
from dataclasses import dataclass, field

from segments.rules.document import (
    BOOLEAN_OPS,
    DATE_FORMATS,
    DATE_PROPERTY_OPS,
    NUMBER_OPS,
    STRING_OPS,
)


@dataclass(frozen=True)
class PropertyInfo:
    name: str
    type: str
    format: str | None
    segmentable: bool

    @property
    def is_date(self) -> bool:
        return self.type == "string" and self.format in DATE_FORMATS

    @property
    def allowed_ops(self) -> tuple[str, ...]:
        if self.type == "boolean":
            return BOOLEAN_OPS
        if self.type in ("number", "integer"):
            return NUMBER_OPS
        if self.is_date:
            return DATE_PROPERTY_OPS
        return STRING_OPS


@dataclass(frozen=True)
class SchemaInfo:
    """What a rule may use of one of the tenant's (active) schemas."""

    pk: int
    schema_id: str
    properties: Mapping[str, PropertyInfo] = field(default_factory=dict)


Catalog = Mapping[str, SchemaInfo]

"""What a rule may use of a tenant's interaction schemas: a ``Catalog`` of ``SchemaInfo`` by
schema id, each with its properties. Plain values; ``segments.selectors.segment_catalog`` builds
one from the database, tests build them by hand.

Beside a schema's own properties, a rule on a schema that has the reserved ``productSku`` may name
facts of the product the SKU names (``ProductField``, from ``product_field``)."""

from collections.abc import Mapping
from dataclasses import dataclass, field

from interactions.public import RESERVED_PRODUCT_SKU
from segments.rules.document import (
    ATTRIBUTE_OPS,
    BOOLEAN_OPS,
    DATE_FORMATS,
    DATE_PROPERTY_OPS,
    NUMBER_OPS,
    PRODUCT_ATTRIBUTES_PREFIX,
    PRODUCT_FIELDS,
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

    @property
    def has_product_sku(self) -> bool:
        """Whether the schema's interactions may name a product, so rules may name its facts."""
        return RESERVED_PRODUCT_SKU in self.properties


@dataclass(frozen=True)
class ProductField:
    """A product fact a property condition names: ``field`` is ``brand``, ``category``,
    ``price``, ``currency`` or ``attribute`` (then ``attribute`` is the attribute's name)."""

    field: str
    attribute: str = ""

    @property
    def allowed_ops(self) -> tuple[str, ...]:
        if self.field == "price":
            return NUMBER_OPS
        if self.field == "attribute":
            return ATTRIBUTE_OPS
        return STRING_OPS


def product_field(name: str) -> ProductField | None:
    """The product fact a condition's ``property`` names (``product.brand``, …), or None."""
    if name in PRODUCT_FIELDS:
        return ProductField(PRODUCT_FIELDS[name])
    if name.startswith(PRODUCT_ATTRIBUTES_PREFIX) and len(name) > len(PRODUCT_ATTRIBUTES_PREFIX):
        return ProductField("attribute", name[len(PRODUCT_ATTRIBUTES_PREFIX) :])
    return None


Catalog = Mapping[str, SchemaInfo]

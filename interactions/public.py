"""What the core offers the apps built on it (segments, automations): import from here only.

Everything else in ``interactions`` is internal and may change shape without notice; the layer
contracts in ``pyproject.toml`` (import-linter) hold other apps to this module.

Templates of every app show moments, numbers, prices and list positions through the core's
template library (``{% load interactions_tags %}``): ``{{ value|when }}`` (``|when:"date"`` for
the day alone), ``{{ count|number }}``, ``{{ amount|money:currency }}``, ``{{ page|position }}`` and
``{% pager page previous_url next_url %}``; Python code (CSV, messages) uses the same functions,
re-exported here.
"""

from interactions.admin.base import TenantScopedAdmin, TenantScopedInline
from interactions.api.base import TenantApiView
from interactions.api.docs import BODY_ERRORS, errors
from interactions.api.product_serializers import product_representation
from interactions.display import moment_text, money_text, number_text, position_text
from interactions.extensions import (
    ContactCardPanel,
    Extension,
    NavigationLink,
    Reference,
    extension_register,
    references_to,
)
from interactions.formats import (
    DATE_TIME_RANGE,
    date_time_out_of_range,
    parse_date,
    parse_instant,
    parse_rfc3339,
)
from interactions.models import (
    Contact,
    ContactTag,
    Interaction,
    InteractionEvent,
    InteractionSchema,
    Tenant,
)
from interactions.schema_validation import (
    NUMBER_RANGE,
    RESERVED_PRODUCT_SKU,
    describe_properties,
    is_number,
)
from interactions.selectors import (
    product_attribute_names,
    products_by_sku,
    segment_products,
    segmentable_values,
)
from interactions.services.roles import ADMIN, MARKETER
from interactions.services.tags import contact_tag_add, tag_name_problems
from interactions.views.access import tenant_page

__all__ = [
    "ADMIN",
    "BODY_ERRORS",
    "DATE_TIME_RANGE",
    "MARKETER",
    "NUMBER_RANGE",
    "RESERVED_PRODUCT_SKU",
    "Contact",
    "ContactCardPanel",
    "ContactTag",
    "Extension",
    "Interaction",
    "InteractionEvent",
    "InteractionSchema",
    "NavigationLink",
    "Reference",
    "Tenant",
    "TenantApiView",
    "TenantScopedAdmin",
    "TenantScopedInline",
    "contact_tag_add",
    "date_time_out_of_range",
    "describe_properties",
    "errors",
    "extension_register",
    "is_number",
    "moment_text",
    "money_text",
    "number_text",
    "parse_date",
    "parse_instant",
    "parse_rfc3339",
    "position_text",
    "product_attribute_names",
    "product_representation",
    "products_by_sku",
    "references_to",
    "segment_products",
    "segmentable_values",
    "tag_name_problems",
    "tenant_page",
]

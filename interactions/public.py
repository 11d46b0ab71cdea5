"""What the core offers the apps built on it (segments, automations): import from here only.

Everything else in ``interactions`` is internal and may change shape without notice; the layer
contracts in ``pyproject.toml`` (import-linter) hold other apps to this module.
"""

from interactions.admin.base import TenantScopedAdmin, TenantScopedInline
from interactions.api.base import TenantApiView
from interactions.api.docs import BODY_ERRORS, errors
from interactions.extensions import (
    ContactCardPanel,
    Extension,
    NavigationLink,
    extension_register,
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
from interactions.schema_validation import NUMBER_RANGE, describe_properties, is_number
from interactions.selectors import segmentable_values
from interactions.services.roles import ADMIN, MARKETER
from interactions.services.tags import contact_tag_add, tag_name_problems
from interactions.views.access import tenant_page

__all__ = [
    "ADMIN",
    "BODY_ERRORS",
    "DATE_TIME_RANGE",
    "MARKETER",
    "NUMBER_RANGE",
    "Contact",
    "ContactCardPanel",
    "ContactTag",
    "Extension",
    "Interaction",
    "InteractionEvent",
    "InteractionSchema",
    "NavigationLink",
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
    "parse_date",
    "parse_instant",
    "parse_rfc3339",
    "segmentable_values",
    "tag_name_problems",
    "tenant_page",
]

"""Reads. Every selector takes the tenant first and starts from the tenant's rows, and a missing
row and another tenant's row raise the same not-found error.

One module per concept; the functions are re-exported here, so callers import them from
``interactions.selectors``.
"""

from interactions.selectors.contact_card import contact_card_data
from interactions.selectors.contacts import (
    contact_activity,
    contact_count,
    contact_get,
    contact_ids_matching,
    contact_search,
)
from interactions.selectors.event_deliveries import event_deliveries_failed, event_delivery_get
from interactions.selectors.interactions import (
    interaction_get,
    interaction_list,
    refused_interaction_get,
)
from interactions.selectors.products import (
    product_attribute_names,
    product_get,
    product_list,
    products_by_sku,
)
from interactions.selectors.schemas import interaction_schema_get, interaction_schema_list
from interactions.selectors.segment_values import segment_products, segmentable_values
from interactions.selectors.tenants import api_key_authenticate

__all__ = [
    "api_key_authenticate",
    "contact_activity",
    "contact_card_data",
    "contact_count",
    "contact_get",
    "contact_ids_matching",
    "contact_search",
    "event_deliveries_failed",
    "event_delivery_get",
    "interaction_get",
    "interaction_list",
    "interaction_schema_get",
    "interaction_schema_list",
    "product_attribute_names",
    "product_get",
    "product_list",
    "products_by_sku",
    "refused_interaction_get",
    "segment_products",
    "segmentable_values",
]

"""Core routes, mounted under /api/v2/ and /api/v3/ (see engage_site.urls)."""

from django.urls import path

from engage_site.api.ids import UUID_SEGMENT
from interactions.api.views.batch import InteractionBatchApi
from interactions.api.views.contacts import (
    ContactCollectionApi,
    ContactCountApi,
    ContactDetailApi,
    ContactIdLookupApi,
)
from interactions.api.views.event_deliveries import (
    EventDeliveryFailedCollectionApi,
    EventDeliveryFailedReplayApi,
)
from interactions.api.views.interactions import (
    InteractionCollectionApi,
    InteractionDetailApi,
    InteractionRawApi,
)
from interactions.api.views.ping import PingApi
from interactions.api.views.products import (
    ProductBulkApi,
    ProductCollectionApi,
    ProductDetailApi,
)
from interactions.api.views.refused import RefusedInteractionDetailApi
from interactions.api.views.schemas import (
    InteractionSchemaCollectionApi,
    InteractionSchemaDetailApi,
)
from interactions.api.views.tags import ContactTagCollectionApi, ContactTagDetailApi

urlpatterns = [
    path("ping", PingApi.as_view(), name="ping"),
    path(
        "interactionschemas",
        InteractionSchemaCollectionApi.as_view(),
        name="interactionschema-collection",
    ),
    path(
        "interactionschemas/<str:schema_id>",
        InteractionSchemaDetailApi.as_view(),
        name="interactionschema-detail",
    ),
    path("interactions", InteractionCollectionApi.as_view(), name="interaction-collection"),
    path("interactions/batch", InteractionBatchApi.as_view(), name="interaction-batch"),
    path(
        f"interactions/<{UUID_SEGMENT}:interaction_id>/raw",
        InteractionRawApi.as_view(),
        name="interaction-raw",
    ),
    path(
        f"interactions/<{UUID_SEGMENT}:interaction_id>",
        InteractionDetailApi.as_view(),
        name="interaction-detail",
    ),
    path("products", ProductCollectionApi.as_view(), name="product-collection"),
    # Before the detail route: POST products/bulk upserts many; its other methods are the
    # detail route's, for a product whose SKU is "bulk".
    path("products/bulk", ProductBulkApi.as_view(), name="product-bulk"),
    path("products/<path:sku>", ProductDetailApi.as_view(), name="product-detail"),
    path(
        f"refusedinteractions/<{UUID_SEGMENT}:refused_id>",
        RefusedInteractionDetailApi.as_view(),
        name="refusedinteraction-detail",
    ),
    path(
        "events/failed",
        EventDeliveryFailedCollectionApi.as_view(),
        name="event-failed-collection",
    ),
    path(
        f"events/failed/<{UUID_SEGMENT}:delivery_id>/replay",
        EventDeliveryFailedReplayApi.as_view(),
        name="event-failed-replay",
    ),
    path("contacts", ContactCollectionApi.as_view(), name="contact-collection"),
    path("contacts/count", ContactCountApi.as_view(), name="contact-count"),
    path("contacts/id", ContactIdLookupApi.as_view(), name="contact-id"),
    path(
        f"contacts/<{UUID_SEGMENT}:contact_id>", ContactDetailApi.as_view(), name="contact-detail"
    ),
    path(
        f"contacts/<{UUID_SEGMENT}:contact_id>/tags",
        ContactTagCollectionApi.as_view(),
        name="contact-tag-collection",
    ),
    path(
        f"contacts/<{UUID_SEGMENT}:contact_id>/tags/<str:name>",
        ContactTagDetailApi.as_view(),
        name="contact-tag-detail",
    ),
]

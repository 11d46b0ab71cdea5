"""Core routes, mounted under /api/v2/ and /api/v3/ (see engage_site.urls)."""

from django.urls import path

from interactions.api import views

urlpatterns = [
    path("ping", views.PingApi.as_view(), name="ping"),
    path(
        "interactionschemas",
        views.InteractionSchemaCollectionApi.as_view(),
        name="interactionschema-collection",
    ),
    path(
        "interactionschemas/<str:schema_id>",
        views.InteractionSchemaDetailApi.as_view(),
        name="interactionschema-detail",
    ),
    path("interactions", views.InteractionCollectionApi.as_view(), name="interaction-collection"),
    path(
        "interactions/<str:interaction_id>/raw",
        views.InteractionRawApi.as_view(),
        name="interaction-raw",
    ),
    path(
        "interactions/<str:interaction_id>",
        views.InteractionDetailApi.as_view(),
        name="interaction-detail",
    ),
    path(
        "refusedinteractions/<str:refused_id>",
        views.RefusedInteractionDetailApi.as_view(),
        name="refusedinteraction-detail",
    ),
    path("contacts", views.ContactCollectionApi.as_view(), name="contact-collection"),
    path("contacts/count", views.ContactCountApi.as_view(), name="contact-count"),
    path("contacts/id", views.ContactIdLookupApi.as_view(), name="contact-id"),
    path("contacts/<str:contact_id>", views.ContactDetailApi.as_view(), name="contact-detail"),
    path(
        "contacts/<str:contact_id>/tags",
        views.ContactTagCollectionApi.as_view(),
        name="contact-tag-collection",
    ),
    path(
        "contacts/<str:contact_id>/tags/<str:name>",
        views.ContactTagDetailApi.as_view(),
        name="contact-tag-detail",
    ),
]

"""Segments API routes, mounted under /api/v2/ and /api/v3/ beside the core's."""

from django.urls import path

from engage_site.api.ids import UUID_SEGMENT
from segments.api import views

urlpatterns = [
    path("segments", views.SegmentCollectionApi.as_view(), name="segment-collection"),
    path("segments/count", views.SegmentDraftCountApi.as_view(), name="segment-draft-count"),
    path(
        f"segments/<{UUID_SEGMENT}:segment_id>",
        views.SegmentDetailApi.as_view(),
        name="segment-detail",
    ),
    path(
        f"segments/<{UUID_SEGMENT}:segment_id>/members",
        views.SegmentMemberListApi.as_view(),
        name="segment-member-list",
    ),
    path(
        f"segments/<{UUID_SEGMENT}:segment_id>/count",
        views.SegmentCountApi.as_view(),
        name="segment-count",
    ),
]

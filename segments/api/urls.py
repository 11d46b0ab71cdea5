"""Segments API routes, mounted under /api/v2/ and /api/v3/ beside the core's."""

from django.urls import path

from segments.api import views

urlpatterns = [
    path("segments", views.SegmentCollectionApi.as_view(), name="segment-collection"),
    path("segments/count", views.SegmentDraftCountApi.as_view(), name="segment-draft-count"),
    path("segments/<str:segment_id>", views.SegmentDetailApi.as_view(), name="segment-detail"),
    path(
        "segments/<str:segment_id>/members",
        views.SegmentMemberListApi.as_view(),
        name="segment-member-list",
    ),
    path("segments/<str:segment_id>/count", views.SegmentCountApi.as_view(), name="segment-count"),
]

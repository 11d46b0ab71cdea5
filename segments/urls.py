"""Segments pages (HTML), mounted at /segments/."""

from django.urls import path

from segments import segment_views, views

urlpatterns = [
    path("", segment_views.segment_list_page, name="segment-list"),
    path("new/", views.segment_create_page, name="segment-new"),
    path("count/", views.segment_live_count_page, name="segment-live-count"),
    path("<uuid:segment_id>/", views.segment_edit_page, name="segment-edit"),
    path("<uuid:segment_id>/refresh/", views.segment_refresh_page, name="segment-refresh"),
    path("<uuid:segment_id>/delete/", segment_views.segment_delete_page, name="segment-delete"),
    path("<uuid:segment_id>/members/", segment_views.segment_detail_page, name="segment-members"),
    path("<uuid:segment_id>/members.csv", segment_views.segment_export_page, name="segment-export"),
]

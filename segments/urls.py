"""Segments pages (HTML), mounted at /segments/."""

from django.urls import path

from segments import views

urlpatterns = [
    path("", views.segment_list_view, name="segment-list"),
    path("new/", views.segment_new, name="segment-new"),
    path("count/", views.segment_live_count, name="segment-live-count"),
    path("<uuid:segment_id>/", views.segment_edit, name="segment-edit"),
    path("<uuid:segment_id>/refresh/", views.segment_refresh_now, name="segment-refresh"),
    path("<uuid:segment_id>/delete/", views.segment_delete_view, name="segment-delete"),
    path("<uuid:segment_id>/members/", views.segment_member_list, name="segment-members"),
    path("<uuid:segment_id>/members.csv", views.segment_export, name="segment-export"),
]

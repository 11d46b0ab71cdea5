"""Automations API routes, mounted under /api/v2/ and /api/v3/ beside the core's."""

from django.urls import path

from automations.api import secrets, views

urlpatterns = [
    path("automations", views.AutomationCollectionApi.as_view(), name="automation-collection"),
    path(
        "automations/<str:automation_id>",
        views.AutomationDetailApi.as_view(),
        name="automation-detail",
    ),
    path(
        "automations/<str:automation_id>/secret/rotate",
        secrets.AutomationSecretRotateApi.as_view(),
        name="automation-secret-rotate",
    ),
    path(
        "automations/<str:automation_id>/runs",
        views.AutomationRunCollectionApi.as_view(),
        name="automation-run-collection",
    ),
    path(
        "automations/<str:automation_id>/runs/<str:run_id>",
        views.AutomationRunDetailApi.as_view(),
        name="automation-run-detail",
    ),
]

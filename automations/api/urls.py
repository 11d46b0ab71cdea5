"""Automations API routes, mounted under /api/v2/ and /api/v3/ beside the core's."""

from django.urls import path

from automations.api import secrets, views
from engage_site.api.ids import UUID_SEGMENT

urlpatterns = [
    path("automations", views.AutomationCollectionApi.as_view(), name="automation-collection"),
    path(
        f"automations/<{UUID_SEGMENT}:automation_id>",
        views.AutomationDetailApi.as_view(),
        name="automation-detail",
    ),
    path(
        f"automations/<{UUID_SEGMENT}:automation_id>/secret/rotate",
        secrets.AutomationSecretRotateApi.as_view(),
        name="automation-secret-rotate",
    ),
    path(
        f"automations/<{UUID_SEGMENT}:automation_id>/runs",
        views.AutomationRunCollectionApi.as_view(),
        name="automation-run-collection",
    ),
    path(
        f"automations/<{UUID_SEGMENT}:automation_id>/runs/<{UUID_SEGMENT}:run_id>",
        views.AutomationRunDetailApi.as_view(),
        name="automation-run-detail",
    ),
]

"""Automations pages (HTML), mounted at /automations/."""

from django.urls import path

from automations import views

urlpatterns = [
    path("", views.automation_list_page, name="automation-list"),
    path("new", views.automation_create_page, name="automation-create"),
    path("<str:automation_id>", views.automation_edit_page, name="automation-edit"),
    path(
        "<str:automation_id>/rotate-secret",
        views.automation_secret_rotate_page,
        name="automation-secret-rotate",
    ),
    path(
        "<str:automation_id>/test-webhook",
        views.automation_webhook_test_page,
        name="automation-webhook-test",
    ),
    path("<str:automation_id>/runs", views.automation_run_list_page, name="automation-runs"),
    path(
        "<str:automation_id>/runs/<str:run_id>/retry",
        views.automation_run_retry_page,
        name="automation-run-retry",
    ),
]

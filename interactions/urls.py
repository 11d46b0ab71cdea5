"""Staff pages (HTML). The API lives in interactions.api.urls."""

from django.contrib.auth import views as auth_views
from django.urls import path

from interactions.views import contacts, tenancy

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("tenant/", tenancy.tenant_switch_view, name="tenant-switch"),
    path("contacts/", contacts.contact_list_page, name="contact-list"),
    path("contacts/<uuid:contact_id>/", contacts.contact_card_page, name="contact-card"),
]

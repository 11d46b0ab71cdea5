from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from automations.api import urls as automations_api_urls
from engage_site import health
from interactions.api import urls as interactions_api_urls
from segments.api import urls as segments_api_urls

# Every API route is served under both prefixes by the same code; views get the prefix as
# ``version`` and reverse their links in the namespace of the same name.
API_VERSIONS = ("v2", "v3")
api_patterns = [
    *interactions_api_urls.urlpatterns,
    *segments_api_urls.urlpatterns,
    *automations_api_urls.urlpatterns,
]

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("api/schema/", SpectacularAPIView.as_view(), name="openapi-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="openapi-schema"), name="api-docs"),
    *(
        path(
            f"api/{version}/",
            include((api_patterns, "api"), namespace=version),
            {"version": version},
        )
        for version in API_VERSIONS
    ),
    path("admin/", admin.site.urls),
    path("", include("interactions.urls")),
    path("segments/", include("segments.urls")),
    path("automations/", include("automations.urls")),
    path("", RedirectView.as_view(pattern_name="contact-list", permanent=False), name="home"),
]

handler400 = "engage_site.errors.bad_request"
handler403 = "engage_site.errors.permission_denied"
handler404 = "engage_site.errors.page_not_found"
handler500 = "engage_site.errors.server_error"

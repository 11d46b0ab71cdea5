"""Segments API routes, mounted under /api/v2/ and /api/v3/ beside the core's."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []

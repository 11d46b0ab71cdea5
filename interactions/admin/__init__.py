"""The admin, one module per concept. Every list and form is scoped to the acting tenant
(``scoping`` says what every model admin must be)."""

from interactions.admin import (  # noqa: F401
    contacts,
    event_deliveries,
    interactions,
    products,
    refused_interactions,
    schemas,
    scoping,
    tenants,
)

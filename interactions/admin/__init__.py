"""The admin, one module per concept. Every list and form is scoped to the acting tenant."""

from interactions.admin import (  # noqa: F401
    contacts,
    event_deliveries,
    interactions,
    schemas,
    tenants,
)

"""The admin, one module per concept. Every list and form is scoped to the acting tenant."""

from interactions.admin import contacts, interactions, schemas, tenants  # noqa: F401

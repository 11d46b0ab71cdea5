"""The admin, one module per concept. Every list and form is scoped to the acting tenant
(``scoping`` says what every model admin must be)."""

from interactions.admin import contacts, interactions, schemas, scoping, tenants  # noqa: F401

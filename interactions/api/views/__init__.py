"""The core API, one module per resource: interaction schemas, interactions, refused
interactions, contacts, contact tags and ping.

Views are thin: read the request, call one selector or service, shape the answer. Writes that a
POST asks for go through ``TenantApiView.idempotent_write``.
"""

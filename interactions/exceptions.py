"""The errors of the interactions domain, each with its stable wire code."""

from engage_site.api.exceptions import ApiError


class ContactNotFound(ApiError):
    status_code = 404
    error_code = "ContactNotFound"
    default_message = "No contact has this id."


class MultipleMatches(ApiError):
    status_code = 409
    error_code = "MultipleMatches"
    default_message = "More than one contact matches."


class InteractionSchemaNotFound(ApiError):
    status_code = 404
    error_code = "InteractionSchemaNotFound"
    default_message = "No interaction schema has this id."


class InteractionSchemaAlreadyExists(ApiError):
    status_code = 409
    error_code = "InteractionSchemaAlreadyExists"
    default_message = "An interaction schema with this id already exists."


class InvalidInteractionSchema(ApiError):
    status_code = 400
    error_code = "InvalidInteractionSchema"
    default_message = "The interaction schema is not valid."


class InteractionSchemaLimitExceeded(ApiError):
    status_code = 400
    error_code = "InteractionSchemaLimitExceeded"
    default_message = "The interaction schema goes beyond a limit."


class InteractionNotFound(ApiError):
    status_code = 404
    error_code = "InteractionNotFound"
    default_message = "No interaction has this id."


class InvalidInteraction(ApiError):
    status_code = 400
    error_code = "InvalidInteraction"
    default_message = "The interaction breaks the rules of its schema."


class RefusedInteractionNotFound(ApiError):
    status_code = 404
    error_code = "RefusedInteractionNotFound"
    default_message = "No refused interaction has this id."


class RawCopyNotAvailable(ApiError):
    status_code = 503
    error_code = "RawCopyUnavailable"
    default_message = "The raw copy can't be read right now; retry later."


class IdempotencyKeyReused(ApiError):
    status_code = 422
    error_code = "IdempotencyKeyReused"
    default_message = "This Idempotency-Key was already used with another request."


class IdempotencyKeyInFlight(ApiError):
    status_code = 409
    error_code = "IdempotencyKeyInFlight"
    default_message = "A request with this Idempotency-Key is still being processed; retry later."


class EventDeliveryNotFound(ApiError):
    status_code = 404
    error_code = "EventDeliveryNotFound"
    default_message = "No failed event delivery has this id."


class EventDeliveryNotReplayable(ApiError):
    status_code = 409
    error_code = "EventDeliveryNotReplayable"
    default_message = "This event delivery can't be replayed now."


class ProductNotFound(ApiError):
    status_code = 404
    error_code = "ProductNotFound"
    default_message = "No product with this SKU."


class ProductAlreadyExists(ApiError):
    status_code = 409
    error_code = "ProductAlreadyExists"
    default_message = "A product with this SKU exists already; PUT products/{sku} replaces it."


class InvalidProduct(ApiError):
    status_code = 400
    error_code = "InvalidProduct"
    default_message = "The product is not valid."

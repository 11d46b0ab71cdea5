"""OpenAPI helpers: the error responses each kind of route can give."""

from drf_spectacular.utils import OpenApiResponse

from interactions.api.serializers import ErrorOutput


def errors(*statuses: int) -> dict[int, OpenApiResponse]:
    """Error responses for ``statuses`` plus those every route can give (401, 429, 500)."""
    described = {
        400: "Invalid request or JSON (InvalidRequest, InvalidJson, Invalid…).",
        401: "Missing, unknown or revoked API key (Unauthorized).",
        404: "Not found (…NotFound). Another tenant's ids are not found either.",
        409: "Conflict (…AlreadyExists, MultipleMatches, IdempotencyKeyInFlight).",
        413: "Body larger than the limit (PayloadTooLarge).",
        415: "Body is not application/json (UnsupportedMediaType).",
        422: "Idempotency-Key reused with another body (IdempotencyKeyReused).",
        429: "Rate limit for the key exceeded (TooManyRequests); see Retry-After.",
        500: "Unexpected error (InternalError).",
        503: "Database or blob store unavailable (ServiceUnavailable, RawCopyUnavailable).",
    }
    return {
        status: OpenApiResponse(ErrorOutput, description=described[status])
        for status in sorted({*statuses, 401, 429, 500})
    }


BODY_ERRORS = (400, 409, 413, 415, 422, 503)

"""Reading request parameters that every API needs: a required query parameter, a UUID.

Both raise InvalidRequest naming the parameter, in the one error format.
"""

import uuid

from rest_framework.request import Request

from engage_site.api.exceptions import InvalidRequest
from engage_site.api.ids import uuid_or_none
from engage_site.api.problems import Problem


def required_query(request: Request, name: str) -> str:
    """The query parameter ``name``, stripped; raises InvalidRequest if it is missing or blank."""
    value = request.query_params.get(name, "").strip()
    if not value:
        raise InvalidRequest(
            f"The query parameter {name} is required.",
            errors=[Problem(name, "required", "is required")],
        )
    return value


def parse_uuid(value: object, *, field: str) -> uuid.UUID:
    """``value`` as a UUID (ASCII hex, 8-4-4-4-12); raises InvalidRequest naming ``field`` if it is
    not one."""
    parsed = uuid_or_none(value)
    if parsed is None:
        raise InvalidRequest(
            f"{field} must be a UUID.", errors=[Problem(field, "invalid", "must be a UUID")]
        )
    return parsed

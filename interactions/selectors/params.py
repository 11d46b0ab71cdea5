"""Ids named by a request, read before any selector looks them up."""

import uuid

from engage_site.api.exceptions import InvalidRequest
from engage_site.api.problems import Problem


def parse_uuid(value: object, *, field: str) -> uuid.UUID:
    """``value`` as a UUID; raises InvalidRequest naming ``field`` if it is not one."""
    if isinstance(value, str):
        try:
            return uuid.UUID(value)
        except ValueError:
            pass
    raise InvalidRequest(
        f"{field} must be a UUID.", errors=[Problem(field, "invalid", "must be a UUID")]
    )

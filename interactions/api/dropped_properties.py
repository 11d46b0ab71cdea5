"""How POST interactions reports the properties it dropped without changing Engage's body.

Clients generated from Engage's Swagger file build strict models that raise on any key the file
does not name, so the body carries exactly Engage's keys (``id``, ``self``). What was dropped is
named in the ``Engage-Dropped-Properties`` header on every such response, and listed in full in
the body only when the request asks with ``?include=droppedProperties``.
"""

import string
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from rest_framework.request import Request

from engage_site.api.exceptions import InvalidRequest
from engage_site.api.problems import Problem

HEADER = "Engage-Dropped-Properties"
INCLUDE = "droppedProperties"
# Proxies keep all of a response's headers in one small buffer (nginx: 4 KB by default) and fail
# the whole response when they don't fit, so a long list is cut; the body has it in full.
MAX_HEADER_CHARS = 2048
CUT = "..."
# Visible ASCII but the list separator and the escape character: a property name holding anything
# else (a comma, a space, a non-ASCII letter) is percent-encoded (UTF-8), so the header stays one
# unambiguous, Latin-1-safe line.
_KEPT_AS_IS = "".join(
    character
    for character in string.ascii_letters + string.digits + string.punctuation
    if character not in ",%"
)


def dropped_properties_header(dropped: Sequence[Mapping[str, Any]]) -> str | None:
    """``payload.created, payload.price``: the fields of ``dropped`` (items shaped like error
    items), or None when nothing was dropped. Cut after whole fields, ending in ``...``, when the
    list is longer than MAX_HEADER_CHARS."""
    fields = list(dict.fromkeys(quote(str(item["field"]), safe=_KEPT_AS_IS) for item in dropped))
    if not fields:
        return None
    value = ", ".join(fields)
    if len(value) <= MAX_HEADER_CHARS:
        return value
    kept: list[str] = []
    length = len(CUT)
    for field in fields:
        length += len(field) + len(", ")
        if length > MAX_HEADER_CHARS:
            break
        kept.append(field)
    return ", ".join([*kept, CUT])


def include_dropped_properties(request: Request) -> bool:
    """Whether ``?include=`` asks for droppedProperties (values may be comma-separated or the
    parameter repeated); 400 naming ``include`` for any value this route doesn't know."""
    values = {
        value.strip()
        for given in request.query_params.getlist("include")
        for value in given.split(",")
        if value.strip()
    }
    if values - {INCLUDE}:
        raise InvalidRequest(
            f"include may only name {INCLUDE}.",
            errors=[Problem("include", "enum", f"must be {INCLUDE}")],
        )
    return INCLUDE in values


def interaction_created_presented(
    result: Mapping[str, Any], *, include_dropped: bool
) -> tuple[dict[str, Any], dict[str, str]]:
    """The body and headers of a POST interactions answer, from what the idempotency record
    keeps (the body with the full ``droppedProperties``): the same for the first answer and for
    each replay."""
    dropped = list(result.get(INCLUDE) or [])
    body = {key: value for key, value in result.items() if key != INCLUDE}
    if include_dropped:
        body[INCLUDE] = dropped
    header = dropped_properties_header(dropped)
    return body, ({HEADER: header} if header is not None else {})

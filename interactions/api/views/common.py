"""What several core API views share."""

from typing import Any

from django.urls import reverse
from rest_framework.request import Request

from engage_site.api.problems import Problem
from interactions.exceptions import RawCopyNotAvailable
from interactions.services import raw_storage

# The OpenAPI tag of routes that go beyond the Engage API.
EXTENSION = ["extension"]


def absolute_url(request: Request, version: str, name: str, **kwargs: Any) -> str:
    """The absolute URL of route ``name`` under the prefix (v2 or v3) the request used."""
    return request.build_absolute_uri(reverse(f"{version}:{name}", kwargs=kwargs))


def raw_copy_read(path: str) -> bytes:
    """The raw copy at ``path``; RawCopyNotAvailable (503) when the blob store can't give it."""
    try:
        return raw_storage.raw_copy_read(path=path)
    except raw_storage.RawCopyUnavailable:
        raise RawCopyNotAvailable() from None


def batch_shape_problems(
    document: Any, *, member: str, others: tuple[str, ...], most: int, noun: str
) -> list[Problem]:
    """What makes ``document`` not a batch: an object whose ``member`` is an array of at most
    ``most`` items, besides the keys in ``others`` (whose values the caller checks). The items
    themselves are judged one by one, later."""
    if not isinstance(document, dict):
        return [Problem("body", "type", "must be a JSON object")]
    problems = [
        Problem(name, "unknown", "is not a field of a batch")
        for name in document
        if name != member and name not in others
    ]
    items = document.get(member)
    if items is None:
        problems.append(Problem(member, "required", "is required"))
    elif not isinstance(items, list):
        problems.append(Problem(member, "type", f"must be an array of {noun}"))
    elif len(items) > most:
        problems.append(Problem(member, "limit", f"must hold at most {most} {noun}"))
    return problems

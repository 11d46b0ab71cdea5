"""What several core API views share."""

from typing import Any

from django.urls import reverse
from rest_framework.request import Request

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

"""Ids on the wire: the one strict reading of a UUID, and the path converter of id segments.

A UUID on the wire is 32 ASCII hex digits in the 8-4-4-4-12 form (either case), as OpenAPI's
``format: uuid`` describes it. Python's ``uuid.UUID`` is laxer: it takes braces, ``urn:uuid:``,
no hyphens, and any Unicode digit (``int()`` reads the full-width digits U+FF10-FF19 as 0-9), so
ids that no document allows would reach real rows. Every id is read here instead.
"""

import re
import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.urls import register_converter

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def uuid_or_none(value: object) -> uuid.UUID | None:
    """``value`` as a UUID if it is one spelled the strict way, else None."""
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, str) and _UUID.fullmatch(value):
        return uuid.UUID(value)
    return None


class StrictUUIDFormField(forms.UUIDField):
    """Django's UUID form field (for FilterSets), read the strict way."""

    def to_python(self, value: object) -> uuid.UUID | None:  # type: ignore[override]
        if value in self.empty_values:
            return None
        parsed = uuid_or_none(value.strip() if isinstance(value, str) else value)
        if parsed is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return parsed


class UuidSegmentConverter:
    """A path segment that names a UUID id: documented as ``format: uuid``.

    It matches any segment and hands the text on unchanged, so the view parses it and a malformed
    id gets the view's own answer (a 400 naming the parameter, or a 404) instead of a bare
    "no such route".
    """

    regex = "[^/]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: object) -> str:
        return str(value)


UUID_SEGMENT = "uuidsegment"
"""The converter's name in routes: ``f"contacts/<{UUID_SEGMENT}:contact_id>"``."""

register_converter(UuidSegmentConverter, UUID_SEGMENT)

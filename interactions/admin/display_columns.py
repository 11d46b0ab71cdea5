"""The admin shows dates, times and numbers as every staff page does (``interactions.display``).

Django's admin writes a date-time field with its own format ("Nov. 30, 2026, 10:13 a.m.") and
numbers ungrouped. The site gives every registered admin ``DisplayColumnsAdmin``, which shows each
date, date-time or number field named in ``list_display`` or ``readonly_fields`` through
``moment_text`` or ``number_text`` instead, under the field's own label and still sortable by
it. Editable fields keep Django's widgets; keys are left as they are.
"""

from collections.abc import Callable, Sequence
from typing import Any

from django.contrib import admin
from django.db.models import (
    AutoField,
    BigAutoField,
    DateField,
    DateTimeField,
    DecimalField,
    Field,
    FloatField,
    IntegerField,
    Model,
    SmallAutoField,
)
from django.http import HttpRequest

from interactions.display import moment_text, number_text

SUFFIX = "_shown"


def _shown_as_on_pages(field: "Field[Any, Any]") -> bool:
    if isinstance(field, DateField):  # DateTimeField derives from DateField
        return True
    is_number = isinstance(field, IntegerField | FloatField | DecimalField)
    return is_number and not field.primary_key and not isinstance(field, _KEYS)


_KEYS = (AutoField, BigAutoField, SmallAutoField)


def _column(field: "Field[Any, Any]") -> Callable[[Model], str]:
    name = field.name

    @admin.display(description=str(field.verbose_name), ordering=name)
    def column(obj: Model) -> str:
        value = getattr(obj, name)
        if isinstance(field, DateField):
            return moment_text(value, date_only=not isinstance(field, DateTimeField))
        return number_text(value)

    return column


class DisplayColumnsAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Mixed in before a model admin by the site (see module docstring)."""

    def __init__(self, model: type[Model], admin_site: Any) -> None:
        super().__init__(model, admin_site)
        self._shown_fields = {
            field.name: field
            for field in model._meta.concrete_fields
            if _shown_as_on_pages(field) and not field.choices
        }
        for name, field in self._shown_fields.items():
            setattr(self, name + SUFFIX, _column(field))

    def _shown(self, names: Sequence[Any]) -> list[Any]:
        return [
            name + SUFFIX if isinstance(name, str) and name in self._shown_fields else name
            for name in names
        ]

    def _readonly_shown(self, request: HttpRequest, obj: Any) -> set[str]:
        readonly = super().get_readonly_fields(request, obj)
        return {name for name in readonly if name in self._shown_fields}

    def get_list_display(self, request: HttpRequest) -> Any:
        return self._shown(super().get_list_display(request))

    def get_list_display_links(self, request: HttpRequest, list_display: Any) -> Any:
        links = super().get_list_display_links(request, list_display)
        return self._shown(links) if links else links

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self._shown(super().get_readonly_fields(request, obj))

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        # The form leaves out the read-only date fields now shown under their column's name.
        excluded = list(super().get_exclude(request, obj) or ())
        return excluded + sorted(self._readonly_shown(request, obj)) or None

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = self._readonly_shown(request, obj)
        return [
            (
                title,
                {
                    **options,
                    "fields": [
                        self._renamed(entry, readonly) for entry in options.get("fields", ())
                    ],
                },
            )
            for title, options in super().get_fieldsets(request, obj)
        ]

    def _renamed(self, entry: Any, readonly: set[str]) -> Any:
        if isinstance(entry, list | tuple):
            return type(entry)(self._renamed(item, readonly) for item in entry)
        return entry + SUFFIX if entry in readonly else entry

"""Every control on an admin form has an accessible name, so screen readers (and tests) find it by
what it is.

Django leaves three kinds without one: the two inputs of a split date and time (only "Date:" and
"Time:" text beside them), the fields of a tabular inline's row (named by a column heading, which
is no label) and a row's delete box. The site gives every model admin ``NamedControlsAdmin``;
tenant-scoped inlines derive from ``NamedInlineControls``.
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.text import capfirst


def _inner(widget: forms.Widget) -> forms.Widget:
    """The widget a related-object wrapper (the admin's add/change links) draws."""
    return getattr(widget, "widget", widget)


def _name_parts(formfield: forms.Field, label: str) -> None:
    widget = _inner(formfield.widget)
    if not isinstance(widget, forms.MultiWidget):
        return
    parts = ("date", "time") if isinstance(widget, forms.SplitDateTimeWidget) else ()
    for index, part in enumerate(widget.widgets):
        suffix = parts[index] if index < len(parts) else str(index + 1)
        part.attrs.setdefault("aria-label", f"{label}: {suffix}")


def _label(db_field: Any, formfield: forms.Field) -> str:
    return str(capfirst(formfield.label or db_field.verbose_name))


class NamedControlsAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is not None:
            _name_parts(formfield, _label(db_field, formfield))
        return formfield


class NamedInlineControls(admin.options.InlineModelAdmin):  # type: ignore[type-arg]
    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is not None:
            label = _label(db_field, formfield)
            widget = _inner(formfield.widget)
            if not widget.is_hidden:
                widget.attrs.setdefault("aria-label", label)
            _name_parts(formfield, label)
        return formfield

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)

        class WithNamedDeleteBoxes(formset):  # type: ignore[misc,valid-type]
            def add_fields(self, form: forms.Form, index: int | None) -> None:
                super().add_fields(form, index)
                if "DELETE" in form.fields:
                    row = "" if index is None else f" {index + 1}"
                    form.fields["DELETE"].widget.attrs["aria-label"] = f"Delete row{row}"

        return WithNamedDeleteBoxes

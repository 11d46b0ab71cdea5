"""The query parameters of an automation's run list, shared by the API and the run log page.

``status`` takes one or more run statuses as one comma-separated value (``?status=failed,pending``;
repeating the parameter means the same); ``contactId`` keeps one contact's runs. A blank value is
no filter (the page's "Any status"). A refused value raises InvalidRequest naming the parameter.
"""

from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import urlencode

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.datastructures import MultiValueDict
from django_filters.widgets import BaseCSVWidget

from automations.models import AutomationRun
from engage_site.api.exceptions import InvalidRequest
from engage_site.api.ids import StrictUUIDFormField
from engage_site.api.problems import Problem

STATUS_MESSAGE = "must be one of " + ", ".join(AutomationRun.Status.values)
# Form error codes in the API's vocabulary of problem codes.
_PROBLEM_CODES = {"invalid_choice": "enum"}


def _problem(field: str, error: ValidationError) -> Problem:
    return Problem(field, _PROBLEM_CODES.get(error.code or "", "invalid"), error.messages[0])


class _CommaListSelect(BaseCSVWidget, forms.Select):
    """Reads every occurrence of the parameter, each a comma-separated list, as one list."""

    def value_from_datadict(self, data: Mapping[str, Any], files: Any, name: str) -> list[str]:
        values = data.getlist(name) if isinstance(data, MultiValueDict) else [data.get(name)]
        return [part for value in values if value for part in str(value).split(",") if part]


class StatusListFilter(django_filters.BaseInFilter, django_filters.ChoiceFilter):
    """Runs in any of the listed statuses."""


class StrictUUIDFilter(django_filters.UUIDFilter):
    field_class = StrictUUIDFormField


class AutomationRunFilter(django_filters.FilterSet):
    status = StatusListFilter(
        choices=AutomationRun.Status.choices,
        widget=_CommaListSelect,
        error_messages={"invalid_choice": STATUS_MESSAGE},
    )
    contactId = StrictUUIDFilter(  # the parameter's wire name
        field_name="contact_id", error_messages={"invalid": "must be a UUID"}
    )

    class Meta:
        model = AutomationRun
        fields: ClassVar[list[str]] = []

    def apply(self, runs: QuerySet[AutomationRun]) -> QuerySet[AutomationRun]:
        """``runs`` narrowed to the parameters; raises InvalidRequest naming each refused one."""
        if not self.is_valid():
            raise InvalidRequest(
                "A filter parameter is not valid.",
                errors=[
                    _problem(field, first)
                    for field, (first, *_) in self.form.errors.as_data().items()
                ],
            )
        return self.filter_queryset(runs)

    def query(self) -> dict[str, str]:
        """The applied filters as canonical query parameters (empty when none apply): what a next
        link carries and what a continuation token is bound to. Call after :meth:`apply`."""
        data = self.form.cleaned_data
        query = {}
        if statuses := sorted({status for status in data.get("status") or () if status}):
            query["status"] = ",".join(statuses)
        if data.get("contactId"):
            query["contactId"] = str(data["contactId"])
        return query

    def query_string(self) -> str:
        return urlencode(self.query())

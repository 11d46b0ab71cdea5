"""The segment builder's form: name, description, refresh interval and the rule document (as
JSON, which the page's condition rows write)."""

import json
from typing import Any

from django import forms

from segments.models import Segment


class SegmentForm(forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    refresh_minutes = forms.IntegerField(
        min_value=1, max_value=60 * 24 * 7, initial=60, label="Refresh every (minutes)"
    )
    # Written by the builder's form (static/segments/rule_form.js) or its Advanced JSON view.
    rule = forms.CharField(widget=forms.HiddenInput, max_length=64 * 1024)

    def clean_rule(self) -> Any:
        try:
            return json.loads(self.cleaned_data["rule"])
        except ValueError as error:
            raise forms.ValidationError(f"The rule is not valid JSON: {error}.") from None

    @classmethod
    def for_segment(cls, segment: Segment) -> "SegmentForm":
        return cls(
            initial={
                "name": segment.name,
                "description": segment.description,
                "refresh_minutes": segment.refresh_minutes,
                "rule": json.dumps(segment.rule, indent=2),
            }
        )

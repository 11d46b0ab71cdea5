"""The editor's action rows: one form per action, in a formset that adds, removes and orders them.

Without JavaScript the rows work as Django's formset does: an order number and a Remove box per
row and one blank row to add to. ``static/automations/editor.js`` turns those into Move up, Move
down, Remove and Add action buttons; what is posted is the same either way.
"""

from typing import Any, cast

from django import forms

from automations.action_documents import (
    EMAIL,
    MAX_ACTIONS,
    MAX_SUBJECT_LENGTH,
    MAX_URL_LENGTH,
    TAG,
    WEBHOOK,
    webhook_url_problem,
)
from automations.email_templates import TemplateLimits
from automations.services.webhooks import webhook_policy

ACTION_TYPE_CHOICES = [
    ("", "— none —"),
    (WEBHOOK, "Send a webhook"),
    (EMAIL, "Send an email"),
    (TAG, "Add a tag"),
]
# The fields each action type uses; the others are hidden (and not posted) by the editor's script.
FIELDS_OF_TYPE = {WEBHOOK: ("url",), EMAIL: ("subject", "body"), TAG: ("tag",)}
_REQUIRED = "Enter the {label} for this action."


class ActionForm(forms.Form):
    type = forms.ChoiceField(choices=ACTION_TYPE_CHOICES, required=False, label="Action")
    url = forms.CharField(
        required=False,
        max_length=MAX_URL_LENGTH,
        label="Webhook URL",
        widget=forms.URLInput(attrs={"placeholder": "https://", "inputmode": "url"}),
    )
    tag = forms.CharField(required=False, max_length=100, label="Tag")
    subject = forms.CharField(required=False, max_length=MAX_SUBJECT_LENGTH, label="Subject")
    body = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}), label="Body")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["body"].max_length = TemplateLimits.configured().max_chars  # type: ignore[attr-defined]
        self.fields["body"].widget.attrs["maxlength"] = self.fields["body"].max_length  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        """The fields of the chosen type are required; a webhook target the policy refuses is
        refused here, at its own box, with the setting that would allow it named."""
        data = super().clean() or {}
        kind = data.get("type") or ""
        for name in FIELDS_OF_TYPE.get(kind, ()):
            if not (data.get(name) or "").strip():
                label = str(self.fields[name].label).lower()
                self.add_error(name, _REQUIRED.format(label=label))
        url = (data.get("url") or "").strip()
        if kind == WEBHOOK and url:
            problem = webhook_url_problem(url, policy=webhook_policy())
            if problem is not None:
                self.add_error("url", f"The URL {problem.message}.")
        return data

    def document(self) -> dict[str, Any] | None:
        """The action document this row stands for, or None for a row left without a type."""
        data = self.cleaned_data
        kind = data.get("type") or ""
        if kind == WEBHOOK:
            return {"type": WEBHOOK, "url": data["url"].strip()}
        if kind == TAG:
            return {"type": TAG, "name": data["tag"].strip()}
        if kind == EMAIL:
            return {"type": EMAIL, "subject": data["subject"], "body": data["body"]}
        return None

    @staticmethod
    def initial_for(action: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": action.get("type", ""),
            "url": action.get("url", ""),
            "tag": action.get("name", ""),
            "subject": action.get("subject", ""),
            "body": action.get("body", ""),
        }


class BaseActionFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    default_error_messages = {
        "too_many_forms": f"An automation takes at most {MAX_ACTIONS} actions.",
        "too_few_forms": "Add at least one action.",
    }

    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        form.fields["ORDER"].label = "Position"
        form.fields["ORDER"].widget.attrs["class"] = "position"
        form.fields["DELETE"].label = "Remove this action"

    def clean(self) -> None:
        if not any(self.errors) and not self.kept_forms():
            raise forms.ValidationError(
                self.default_error_messages["too_few_forms"], code="too_few_forms"
            )

    def kept_forms(self) -> list[ActionForm]:
        """The rows with a type, in the order asked for, without the removed ones."""
        return [form for form in self.ordered_forms if form.document() is not None]

    def documents(self) -> list[dict[str, Any]]:
        return [document for form in self.kept_forms() if (document := form.document())]


ActionFormSet = forms.formset_factory(
    ActionForm,
    formset=BaseActionFormSet,
    extra=1,
    max_num=MAX_ACTIONS,
    validate_max=True,
    can_order=True,
    can_delete=True,
)


def action_formset(
    data: Any = None, *, actions: list[dict[str, Any]] | None = None
) -> BaseActionFormSet:
    """The action rows: bound to posted ``data``, or showing an automation's ``actions``."""
    initial = [ActionForm.initial_for(action) for action in actions or []]
    return cast(BaseActionFormSet, ActionFormSet(data, initial=initial or None, prefix="actions"))

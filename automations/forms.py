"""The automation editor: trigger, condition, entry rule and up to three actions."""

import json
from typing import Any

from django import forms

from automations.action_documents import EMAIL, TAG, WEBHOOK, webhook_url_problem
from automations.email_templates import TemplateLimits
from automations.models import Automation
from automations.services.webhooks import webhook_policy
from automations.triggers import ONE_OF
from interactions.public import InteractionSchema, Tenant

ACTION_ROWS = 3
ACTION_CHOICES = [("", "—"), (WEBHOOK, "Webhook"), (EMAIL, "Email"), (TAG, "Add a tag")]


def _parse_value(text: str) -> Any:
    """A condition value typed in a box: JSON when it parses (10, true, "a"), else the text."""
    try:
        return json.loads(text)
    except ValueError:
        return text


class AutomationForm(forms.Form):
    name = forms.CharField(max_length=200)
    is_active = forms.BooleanField(required=False, initial=True, label="Active")
    trigger = forms.ChoiceField(choices=Automation.Trigger.choices)
    schemas = forms.ModelMultipleChoiceField(
        queryset=InteractionSchema.objects.none(),
        required=False,
        label="Schemas",
        help_text="New interaction: leave empty for any schema.",
    )
    schema = forms.ModelChoiceField(
        queryset=InteractionSchema.objects.none(), required=False, label="Schema"
    )
    property_name = forms.CharField(required=False, max_length=128, label="Property")
    operator = forms.ChoiceField(choices=[("", "—"), *Automation.Operator.choices], required=False)
    condition_value = forms.CharField(
        required=False,
        max_length=2000,
        label="Value",
        help_text="For “is one of”, separate values with commas.",
    )
    entry_rule = forms.ChoiceField(choices=Automation.EntryRule.choices, label="Entry rule")
    entry_period_days = forms.IntegerField(required=False, min_value=1, label="N days")

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Shown beside the action rows, so tenants know the limits before a run fails on one.
        self.template_limits = TemplateLimits.configured()
        live = InteractionSchema.objects.active().filter(tenant=tenant).order_by("schema_id")
        self.fields["schemas"].queryset = live  # type: ignore[attr-defined]
        self.fields["schema"].queryset = live  # type: ignore[attr-defined]
        for row in range(ACTION_ROWS):
            self.fields[f"action_{row}_type"] = forms.ChoiceField(
                choices=ACTION_CHOICES, required=False, label=f"Action {row + 1}"
            )
            self.fields[f"action_{row}_target"] = forms.CharField(
                required=False, max_length=2000, label="URL, tag or subject"
            )
            self.fields[f"action_{row}_body"] = forms.CharField(
                required=False,
                max_length=self.template_limits.max_chars,
                widget=forms.Textarea(attrs={"rows": 3}),
                label="Email body",
            )

    @staticmethod
    def initial_for(automation: Automation) -> dict[str, Any]:
        value = automation.condition_value
        if isinstance(value, list):
            text = ", ".join(str(item) for item in value)
        elif value is None:
            text = ""
        else:
            text = value if isinstance(value, str) else json.dumps(value)
        initial: dict[str, Any] = {
            "name": automation.name,
            "is_active": automation.is_active,
            "trigger": automation.trigger,
            "schemas": list(automation.schemas.all()),
            "schema": automation.schema,
            "property_name": automation.property_name,
            "operator": automation.operator,
            "condition_value": text,
            "entry_rule": automation.entry_rule,
            "entry_period_days": automation.entry_period_days,
        }
        for row, action in enumerate(automation.actions[:ACTION_ROWS]):
            initial[f"action_{row}_type"] = action.get("type", "")
            initial[f"action_{row}_target"] = (
                action.get("url") or action.get("name") or action.get("subject") or ""
            )
            initial[f"action_{row}_body"] = action.get("body", "")
        return initial

    def clean(self) -> dict[str, Any]:
        """Webhook URLs are checked here too, so a refusal shows on the row's own box."""
        data = super().clean() or {}
        policy = webhook_policy()
        for row in range(ACTION_ROWS):
            target = (data.get(f"action_{row}_target") or "").strip()
            if data.get(f"action_{row}_type") != WEBHOOK or not target:
                continue
            problem = webhook_url_problem(target, policy=policy)
            if problem is not None:
                self.add_error(f"action_{row}_target", f"The URL {problem.message}.")
        return data

    def action_rows(self) -> list[tuple[Any, Any, Any]]:
        return [
            (self[f"action_{row}_type"], self[f"action_{row}_target"], self[f"action_{row}_body"])
            for row in range(ACTION_ROWS)
        ]

    def service_fields(self) -> tuple[dict[str, Any], list[InteractionSchema]]:
        """The cleaned data as the services' keyword arguments, and the chosen schemas."""
        data = self.cleaned_data
        operator = data.get("operator") or ""
        text = (data.get("condition_value") or "").strip()
        value: Any
        if operator == ONE_OF:
            value = [_parse_value(part.strip()) for part in text.split(",") if part.strip()]
        else:
            value = _parse_value(text) if text else None
        schema = data.get("schema")
        if schema is not None and value is not None:
            value = _as_declared(schema, data.get("property_name") or "", value)
        actions: list[dict[str, Any]] = []
        for row in range(ACTION_ROWS):
            kind = data.get(f"action_{row}_type")
            target = (data.get(f"action_{row}_target") or "").strip()
            if kind == WEBHOOK:
                actions.append({"type": WEBHOOK, "url": target})
            elif kind == TAG:
                actions.append({"type": TAG, "name": target})
            elif kind == EMAIL:
                actions.append(
                    {"type": EMAIL, "subject": target, "body": data.get(f"action_{row}_body", "")}
                )
        fields = {
            "name": data["name"],
            "is_active": data.get("is_active", False),
            "trigger": data["trigger"],
            "schema": schema,
            "property_name": data.get("property_name") or "",
            "operator": operator,
            "condition_value": value,
            "entry_rule": data["entry_rule"],
            "entry_period_days": data.get("entry_period_days"),
            "actions": actions,
        }
        return fields, list(data.get("schemas") or [])


def _as_declared(schema: InteractionSchema, property_name: str, value: Any) -> Any:
    """Typed-in values for a string property stay strings ("10" is not the number 10)."""
    spec = schema.json_schema.get("properties", {}).get(property_name, {})
    if spec.get("type", "string") != "string":
        return value
    if isinstance(value, list):
        return [item if isinstance(item, str) else json.dumps(item) for item in value]
    return value if isinstance(value, str) else json.dumps(value)

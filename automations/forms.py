"""The automation editor: trigger, condition and entry rule (the actions are ``action_forms``).

Schemas are offered by display name; the condition's property by its display name, grouped by
schema (a schema with ``productSku`` also offers the product's brand, category, price, currency
and the attributes its catalog's recent products hold), and the page's script keeps only the
chosen schema's group and gives the value box the property's type (number, date, a list for an
enum, yes/no). Fields that do not apply to the chosen trigger or entry rule are hidden by the
script and ignored by the services.
"""

import json
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms

from automations.action_forms import action_formset
from automations.email_templates import TemplateLimits
from automations.models import Automation
from automations.triggers import (
    ONE_OF,
    PRODUCT_ATTRIBUTES,
    PRODUCT_FIELDS,
    SPECIFIC_INTERACTION,
    value_type,
)
from engage_site.api.exceptions import InvalidRequest
from interactions.public import (
    RESERVED_PRODUCT_SKU,
    InteractionSchema,
    Tenant,
    describe_properties,
    product_attribute_names,
)

PRODUCT_LABELS = {
    "product.brand": "Product brand",
    "product.category": "Product category (any level)",
    "product.price": "Product price (amount)",
    "product.price.currency": "Product price currency",
}

# Where a service's problem (named by its API field) is shown on the page.
FIELD_OF_PROBLEM = {
    "name": "name",
    "trigger": "trigger",
    "schemaIds": "schemas",
    "schemaId": "schema",
    "property": "property_name",
    "operator": "operator",
    "value": "condition_value",
    "entryRule": "entry_rule",
    "entryPeriodDays": "entry_period_days",
}
CONDITION_FIELDS = ("schema", "property_name", "operator", "condition_value")
ACTION_FIELD_OF_PROBLEM = {"name": "tag", "url": "url", "subject": "subject", "body": "body"}
_LOCAL_DATE_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?")


def _parse_value(text: str) -> Any:
    """A condition value typed in a box: JSON when it parses (10, true, "a"), else the text."""
    try:
        return json.loads(text)
    except ValueError:
        return text


class SchemaChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name or obj.schema_id)


class SchemasChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name or obj.schema_id)


class ValuesInput(forms.TextInput):
    """One box, or (from the script's list for an enum with "is one of") several values."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        values = data.getlist(name) if hasattr(data, "getlist") else [data.get(name)]
        values = [value for value in values if value not in (None, "")]
        return values[0] if len(values) == 1 else (values or "")


class ValuesField(forms.Field):
    widget = ValuesInput

    def to_python(self, value: Any) -> str | list[str]:
        if isinstance(value, list):
            return [str(item).strip() for item in value]
        return str(value or "").strip()


class AutomationForm(forms.Form):
    name = forms.CharField(max_length=200)
    is_active = forms.BooleanField(required=False, initial=True, label="Active")
    trigger = forms.ChoiceField(choices=Automation.Trigger.choices, label="Start when")
    schemas = SchemasChoiceField(
        queryset=InteractionSchema.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Of these kinds",
        help_text="Tick none for an interaction of any kind.",
    )
    schema = SchemaChoiceField(
        queryset=InteractionSchema.objects.none(),
        required=False,
        label="Kind of interaction",
        empty_label="— choose —",
    )
    # The page lists the chosen schema's properties; the services check the one posted.
    property_name = forms.CharField(required=False, max_length=128, label="Property")
    operator = forms.ChoiceField(choices=[("", "—"), *Automation.Operator.choices], required=False)
    condition_value = ValuesField(
        required=False,
        label="Value",
        help_text="For “is one of”, separate values with commas.",
    )
    entry_rule = forms.ChoiceField(choices=Automation.EntryRule.choices, label="A contact enters")
    entry_period_days = forms.IntegerField(
        required=False, min_value=1, label="Days between entries"
    )

    def __init__(
        self,
        data: Any = None,
        *,
        tenant: Tenant,
        automation: Automation | None = None,
    ) -> None:
        initial = self.initial_for(automation) if automation is not None and data is None else None
        super().__init__(data, initial=initial)
        self.tenant = tenant
        # Shown under the email rows, so tenants know the limits before a run fails on one.
        self.template_limits = TemplateLimits.configured()
        by_name = (
            InteractionSchema.objects.active().filter(tenant=tenant).order_by("display_name", "id")
        )
        live = list(by_name)
        self.fields["schemas"].queryset = by_name  # type: ignore[attr-defined]
        self.fields["schema"].queryset = by_name  # type: ignore[attr-defined]
        # The script and the no-script page both need every schema's properties at hand.
        attributes = (
            product_attribute_names(tenant_id=tenant.pk)
            if any(_has_product(schema) for schema in live)
            else {}
        )
        self.schema_properties = {schema.pk: _properties(schema, attributes) for schema in live}
        if automation is not None:
            self._keep_saved_attribute(automation)
        self.schema_choices = live
        shown = list(automation.actions) if automation is not None and data is None else None
        self.actions = action_formset(data, actions=shown)

    def _keep_saved_attribute(self, automation: Automation) -> None:
        """A saved condition on a product attribute the recent products don't hold stays on
        offer (typed as its value is), so that editing the automation doesn't lose it."""
        name = automation.property_name
        listed = self.schema_properties.get(automation.schema_id or 0)
        if listed is None or not name.startswith(PRODUCT_ATTRIBUTES):
            return
        offers_product = any(prop["name"] in PRODUCT_FIELDS for prop in listed)
        if offers_product and all(prop["name"] != name for prop in listed):
            listed.append(_attribute(name, value_type(automation.condition_value)))

    @staticmethod
    def initial_for(automation: Automation) -> dict[str, Any]:
        value = automation.condition_value
        if isinstance(value, list):
            text = ", ".join(item if isinstance(item, str) else json.dumps(item) for item in value)
        elif value is None:
            text = ""
        else:
            text = value if isinstance(value, str) else json.dumps(value)
        return {
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

    def clean(self) -> dict[str, Any]:
        """Boxes that do not apply to the chosen trigger or entry rule are not held against it
        (without the script the page shows them all)."""
        data = super().clean() or {}
        unused = [] if data.get("trigger") == SPECIFIC_INTERACTION else list(CONDITION_FIELDS)
        if data.get("entry_rule") != Automation.EntryRule.EVERY_N_DAYS:
            unused.append("entry_period_days")
        for name in unused:
            self.errors.pop(name, None)
            data[name] = self.fields[name].to_python("")
        return data

    def is_valid(self) -> bool:
        return all([super().is_valid(), self.actions.is_valid()])

    def chosen_schema_pk(self) -> int | None:
        """The schema whose properties the page shows: the posted one, else the saved one."""
        value = self["schema"].value()
        try:
            return int(value) if value not in (None, "") else None
        except (TypeError, ValueError):
            return None

    def property_groups(self) -> list[dict[str, Any]]:
        """Per schema, its properties with the chosen one marked, for the property select."""
        chosen_schema = self.chosen_schema_pk()
        chosen_name = self["property_name"].value()
        return [
            {
                "schema": schema,
                "label": _schema_label(schema),
                "properties": [
                    {**prop, "selected": schema.pk == chosen_schema and prop["name"] == chosen_name}
                    for prop in self.schema_properties[schema.pk]
                ],
            }
            for schema in self.schema_choices
        ]

    def editor_data(self) -> dict[str, Any]:
        """What the page's script needs: each schema's properties with their types."""
        return {str(pk): properties for pk, properties in self.schema_properties.items()}

    def show_refusal(self, refused: InvalidRequest) -> None:
        """Put each of the services' problems at the field (or action row) it is about."""
        kept = self.actions.kept_forms()
        for problem in refused.errors:
            field = problem.field or ""
            message = f"{problem.message[:1].upper()}{problem.message[1:]}."
            parts = field.split(".")
            if parts[0] == "actions" and len(parts) == 3 and parts[1].isdigit():
                index, name = int(parts[1]), ACTION_FIELD_OF_PROBLEM.get(parts[2])
                if index < len(kept) and name:
                    kept[index].add_error(name, message)
                    continue
            target = FIELD_OF_PROBLEM.get(field)
            self.add_error(target, message if target else f"{field}: {problem.message}")

    def service_fields(self) -> tuple[dict[str, Any], list[InteractionSchema]]:
        """The cleaned data as the services' keyword arguments, and the chosen schemas."""
        data = self.cleaned_data
        operator = data.get("operator") or ""
        schema = data.get("schema")
        property_name = data.get("property_name") or ""
        entered = data.get("condition_value") or ""
        value: Any
        if isinstance(entered, list):
            value = [_parse_value(item) for item in entered if item]
        elif operator == ONE_OF:
            value = [_parse_value(part.strip()) for part in entered.split(",") if part.strip()]
        else:
            value = _parse_value(entered) if entered else None
        if schema is not None and value is not None:
            declared = {
                prop["name"]: prop["type"] for prop in self.schema_properties.get(schema.pk, [])
            }
            value = _as_declared(schema, property_name, value, self.tenant, declared)
        fields = {
            "name": data["name"],
            "is_active": data.get("is_active", False),
            "trigger": data["trigger"],
            "schema": schema,
            "property_name": property_name,
            "operator": operator,
            "condition_value": value,
            "entry_rule": data["entry_rule"],
            "entry_period_days": data.get("entry_period_days"),
            "actions": self.actions.documents(),
        }
        is_specific = data["trigger"] == SPECIFIC_INTERACTION
        return fields, [] if is_specific else list(data.get("schemas") or [])


def _schema_label(schema: InteractionSchema) -> str:
    return str(schema.display_name or schema.schema_id)


def _has_product(schema: InteractionSchema) -> bool:
    return RESERVED_PRODUCT_SKU in schema.json_schema.get("properties", {})


def _attribute(name: str, kind: str) -> dict[str, Any]:
    label = f"Product attribute: {name[len(PRODUCT_ATTRIBUTES) :]}"
    return {"name": name, "label": label, "type": kind, "format": None, "enum": []}


def _properties(schema: InteractionSchema, attributes: dict[str, str]) -> list[dict[str, Any]]:
    """A schema's properties as the editor shows them: name, display name, type, format, and the
    values an enum allows; then, for a schema with ``productSku``, the product's fields and the
    ``attributes`` (name: kind of value) of the catalog."""
    specs = schema.json_schema.get("properties", {})
    listed = [
        {
            "name": prop.name,
            "label": prop.display_name,
            "type": prop.type,
            "format": prop.format,
            "enum": [value for value in specs.get(prop.name, {}).get("enum", [])],
        }
        for prop in describe_properties(schema.json_schema)
    ]
    if not _has_product(schema):
        return listed
    listed += [
        {"name": name, "label": PRODUCT_LABELS[name], "type": kind, "format": None, "enum": []}
        for name, kind in PRODUCT_FIELDS.items()
    ]
    listed += [_attribute(PRODUCT_ATTRIBUTES + name, kind) for name, kind in attributes.items()]
    return listed


def _as_declared(
    schema: InteractionSchema,
    property_name: str,
    value: Any,
    tenant: Tenant,
    declared: dict[str, str],
) -> Any:
    """Typed-in values for a string property stay strings ("10" is not the number 10); a date
    and time picked without an offset is read in the tenant's time zone. ``declared`` are the
    types of the properties on offer: a product attribute the catalog's recent products don't
    hold keeps the type it was typed in (10 a number, red a text)."""
    spec = schema.json_schema.get("properties", {}).get(property_name)
    if spec is None:
        spec = {"type": declared.get(property_name, "")}
    if spec.get("type", "string") != "string":
        return value
    if isinstance(value, list):
        return [_as_text(item, spec, tenant) for item in value]
    return _as_text(value, spec, tenant)


def _as_text(value: Any, spec: dict[str, Any], tenant: Tenant) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    if spec.get("format") == "date-time" and _LOCAL_DATE_TIME.fullmatch(text):
        local = datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tenant.timezone))
        return local.isoformat()
    return text

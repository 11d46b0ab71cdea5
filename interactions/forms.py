"""Forms of the staff pages."""

from dataclasses import replace
from typing import Any

from django import forms

from engage_site.api.exceptions import ApiError, InvalidJson
from engage_site.api.parsers import loads_strict
from engage_site.api.problems import Problem
from interactions.exceptions import (
    InteractionSchemaAlreadyExists,
    InteractionSchemaLimitExceeded,
    InvalidInteractionSchema,
)
from interactions.models import InteractionSchema, Tenant
from interactions.schema_validation import (
    property_count_problem,
    segmentable_property_names,
    segmentation_limit_problem,
)
from interactions.services.schemas import (
    interaction_schema_create,
    interaction_schema_problems,
    schema_limits_for,
)

# The form field that shows a problem of this wire field; any other goes with the document.
_FORM_FIELD_OF = {"id": "id", "displayName": "display_name"}
_WIRE_NAME_OF = {"id": "id", "display_name": "displayName", "json_schema": "jsonSchema"}


class InteractionSchemaBuilderForm(forms.Form):
    """A new interaction schema: the id, the display name and the JSON Schema document as text.

    The admin's schema builder fills ``json_schema`` from its rows; without JavaScript it is typed
    or pasted. Every rule is checked by ``interaction_schema_problems``, the one used by the API,
    so the problems are the API's; they are kept in ``problems`` with their wire field paths
    (``id``, ``displayName``, ``jsonSchema.properties.price.minimum``) so the page can show each
    one next to the input at fault. The few messages that speak in keywords the builder never
    shows (``addToSegmentation``) are said in the builder's words (``_in_builder_words``).
    Nothing is stripped or coerced: the values reach the service exactly as posted, like the
    API's body does.
    """

    id = forms.CharField(label="Id", required=False, strip=False)
    display_name = forms.CharField(label="Display name", required=False, strip=False)
    json_schema = forms.CharField(
        label="JSON Schema", required=False, strip=False, widget=forms.Textarea
    )

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.problems: list[Problem] = []
        # The API's sentence for the whole refusal ("The interaction schema is not valid.").
        self.summary = ""
        self.document: Any = None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:  # a value Django itself refused (a NUL character): nothing more to check
            self.summary = InvalidInteractionSchema.default_message
            self.problems = [
                Problem(_WIRE_NAME_OF[name], "invalid", str(message))
                for name, messages in self.errors.items()
                for message in messages
            ]
            return cleaned
        text = cleaned.get("json_schema", "")
        json_problem = None
        if text.strip():
            try:
                self.document = loads_strict(text.encode())
            except InvalidJson as error:
                json_problem = Problem("jsonSchema", "invalid", error.message)
        problems = interaction_schema_problems(
            tenant=self.tenant,
            schema_id=cleaned.get("id", ""),
            display_name=cleaned.get("display_name", ""),
            json_schema=self.document,
        )
        if json_problem is not None:
            # The document could not be read, so its own rules could not be checked either.
            problems = [p for p in problems if not p.field.startswith("jsonSchema")]
            problems.append(json_problem)
            self._refuse(InvalidJson.default_message, problems)
        elif problems:
            refusal: type[ApiError] = (
                InteractionSchemaLimitExceeded
                if all(p.code == "limit" for p in problems)
                else InvalidInteractionSchema
            )
            self._refuse(refusal.default_message, problems)
        return cleaned

    def save(self) -> InteractionSchema | None:
        """Create the schema; None (and ``problems`` filled) when the service refuses it."""
        try:
            return interaction_schema_create(
                tenant=self.tenant,
                schema_id=self.cleaned_data["id"],
                display_name=self.cleaned_data["display_name"],
                json_schema=self.document,
            )
        except (
            InteractionSchemaAlreadyExists,
            InteractionSchemaLimitExceeded,
            InvalidInteractionSchema,
        ) as error:
            self._refuse(error.message, error.errors)
            return None

    def _in_builder_words(self, problems: list[Problem]) -> list[Problem]:
        """The problems, with the limits on properties said as the builder's labels say them."""
        properties = self.document.get("properties") if isinstance(self.document, dict) else None
        if not isinstance(properties, dict):
            return problems
        limits = schema_limits_for(self.tenant)
        ticked = len(segmentable_property_names(properties))
        reworded = {
            segmentation_limit_problem(properties, limits): (
                f"At most {limits.max_segmentable_properties} properties can be added to "
                f"segmentation; {ticked} are ticked."
            ),
            property_count_problem(properties, limits): (
                f"A schema can have at most {limits.max_properties} properties; "
                f"this one has {len(properties)}."
            ),
        }
        return [replace(p, message=reworded.get(p, p.message)) for p in problems]

    def _refuse(self, summary: str, problems: list[Problem]) -> None:
        self.summary = summary
        self.problems = self._in_builder_words(problems)
        for problem in self.problems:
            field = _FORM_FIELD_OF.get(problem.field)
            if field is None:
                self.add_error("json_schema", f"{problem.field}: {problem.message}")
            else:
                self.add_error(field, problem.message)

    def problem_dicts(self) -> list[dict[str, str]]:
        return [problem.as_dict() for problem in self.problems]

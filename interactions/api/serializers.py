"""Wire shapes (camelCase) of the core API. Inputs document the bodies; services check the rules."""

from typing import Any

from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from engage_site.api.serializers import LinkOutput, StrictCharField


class FieldErrorOutput(serializers.Serializer):
    field = serializers.CharField(help_text="Dotted path, e.g. payload.price or jsonSchema.type")
    code = serializers.ChoiceField(
        choices=[
            "required",
            "type",
            "format",
            "enum",
            "minimum",
            "maximum",
            "minLength",
            "maxLength",
            "pattern",
            "unknown",
            "invalid",
            "limit",
        ]
    )
    message = serializers.CharField()


@extend_schema_serializer(component_name="Error")
class ErrorOutput(serializers.Serializer):
    statusCode = serializers.IntegerField()
    errorCode = serializers.CharField(help_text="Stable PascalCase code; see the README's list.")
    message = serializers.CharField()
    # A field, not Serializer.errors: the serializer metaclass moves fields off the class.
    errors = FieldErrorOutput(many=True, required=False)  # type: ignore[assignment]
    refusedId = serializers.UUIDField(
        required=False, help_text="On a refused interaction POST: where its body is kept."
    )
    multipleMatchesFound = serializers.ListField(
        child=serializers.UUIDField(), required=False, help_text="On 409 MultipleMatches."
    )


# --- Interaction schemas --------------------------------------------------------------------------


SCHEMA_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"


@extend_schema_field({"type": "object", "additionalProperties": True})
class JsonObjectField(serializers.JSONField):
    """A JSON object (documented as one; the service checks what it holds)."""


class InteractionSchemaCreateInput(serializers.Serializer):
    id = serializers.RegexField(
        SCHEMA_ID_PATTERN, help_text="1-64 letters, digits, '-' or '_'; unique per tenant."
    )
    displayName = serializers.CharField()
    jsonSchema = JsonObjectField(
        help_text=(
            "A JSON Schema (draft 2020-12) of type object; property names are identifiers "
            "(letters, digits and _, not starting with a digit)."
        )
    )


class InteractionSchemaSummaryOutput(serializers.Serializer):
    id = serializers.CharField(source="schema_id")
    displayName = serializers.CharField(source="display_name")


class InteractionSchemaOutput(InteractionSchemaSummaryOutput):
    jsonSchema = serializers.JSONField(source="json_schema")


class SchemaSelfOutput(serializers.Serializer):
    href = serializers.URLField()
    created = serializers.DateTimeField()


class InteractionSchemaCreatedOutput(serializers.Serializer):
    id = serializers.CharField()
    self = SchemaSelfOutput()


# --- Interactions ---------------------------------------------------------------------------------


class InteractionCreateInput(serializers.Serializer):
    contactId = serializers.UUIDField()
    schemaId = serializers.CharField()
    createdDate = serializers.DateTimeField(
        required=False, help_text="RFC 3339 with an offset; defaults to the time received."
    )
    payload = serializers.JSONField(help_text="An object matching the schema's properties.")


class InteractionSelfOutput(serializers.Serializer):
    contactId = serializers.UUIDField()
    href = serializers.URLField()
    created = serializers.DateTimeField(help_text="When the server received it.")


class InteractionCreatedOutput(serializers.Serializer):
    """Engage's InteractionCreateResponse: ``id`` and ``self``, and ``droppedProperties`` only when
    the request asked for it, because clients generated from Engage's Swagger file refuse any key
    that file does not name. Without the key in the data the optional field is left out."""

    id = serializers.UUIDField()
    self = InteractionSelfOutput()
    droppedProperties = FieldErrorOutput(
        many=True,
        required=False,
        help_text=(
            "Only with ?include=droppedProperties: the payload properties that were dropped and "
            "why (the Engage-Dropped-Properties header names them on every response)."
        ),
    )


class InteractionOutput(serializers.Serializer):
    id = serializers.UUIDField()
    contactId = serializers.UUIDField(source="contact_id")
    schemaId = serializers.CharField(source="schema.schema_id")
    createdDate = serializers.DateTimeField(source="created_date")
    payload = serializers.JSONField()


class InteractionPageOutput(serializers.Serializer):
    links = LinkOutput(many=True)
    items = InteractionOutput(many=True)


class RefusedInteractionOutput(serializers.Serializer):
    id = serializers.UUIDField()
    receivedAt = serializers.DateTimeField(source="received_at")
    statusCode = serializers.IntegerField(source="status_code")
    errorCode = serializers.CharField(source="error_code")
    errors = FieldErrorOutput(many=True)  # type: ignore[assignment]
    raw = serializers.CharField(help_text="The body exactly as received (UTF-8 text).")


# --- Contacts -------------------------------------------------------------------------------------


class ContactCreateInput(serializers.Serializer):
    """Named attributes; any other top-level key is kept as a custom attribute."""

    contactType = StrictCharField(required=False, max_length=50, allow_blank=True)
    email = StrictCharField(required=False, max_length=254, allow_blank=True)
    mobilePhone = StrictCharField(required=False, max_length=50, allow_blank=True)
    externalId = StrictCharField(required=False, max_length=255, allow_blank=True)
    firstName = StrictCharField(required=False, max_length=200, allow_blank=True)
    lastName = StrictCharField(required=False, max_length=200, allow_blank=True)


class ContactMetaOutput(serializers.Serializer):
    createdOn = serializers.DateTimeField(source="created_on")
    modifiedOn = serializers.DateTimeField(source="modified_on")


class ContactOutput(serializers.Serializer):
    id = serializers.UUIDField()
    contactType = serializers.CharField(source="contact_type")
    attributes = serializers.SerializerMethodField()
    meta = ContactMetaOutput(source="*")
    preferences = serializers.SerializerMethodField()
    consents = serializers.SerializerMethodField()

    def get_attributes(self, contact: object) -> dict[str, Any]:
        named = {
            "email": getattr(contact, "email", ""),
            "mobilePhone": getattr(contact, "mobile_phone", ""),
            "externalId": getattr(contact, "external_id", ""),
            "firstName": getattr(contact, "first_name", ""),
            "lastName": getattr(contact, "last_name", ""),
        }
        extra = getattr(contact, "extra_attributes", {}) or {}
        return {**extra, **{key: value for key, value in named.items() if value}}

    def get_preferences(self, contact: object) -> dict[str, Any]:
        return {}

    def get_consents(self, contact: object) -> list[Any]:
        return []


# Python's str.isspace() characters: a name must have one character that is neither these nor a
# control character (the service strips names and refuses control characters below U+0020).
_SPACE = r"\x00-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
TAG_NAME_PATTERN = rf"^[^\x00-\x1f]*[^{_SPACE}][^\x00-\x1f]*$"


class TagInput(serializers.Serializer):
    name = serializers.RegexField(TAG_NAME_PATTERN, max_length=100)


# The body of the tag routes: a bare JSON array of the contact's tag names, sorted.
TAG_NAMES_OUTPUT = {"type": "array", "items": {"type": "string"}}


class PingOutput(serializers.Serializer):
    tenant = serializers.CharField()


class FailedEventOutput(serializers.Serializer):
    id = serializers.IntegerField(source="event_id", help_text="The event's sequence number.")
    kind = serializers.ChoiceField(choices=["received", "deleted"])
    # Declared fields leave the class attributes (DRF's metaclass): no clash with Field.source.
    source = serializers.ChoiceField(choices=["api", "import", "replay"])  # type: ignore[assignment]
    interactionId = serializers.UUIDField(source="interaction_id")
    contactId = serializers.UUIDField(source="contact_id")
    created = serializers.DateTimeField(source="event_created_at")


class EventDeliveryOutput(serializers.Serializer):
    id = serializers.UUIDField()
    subscriber = serializers.CharField(help_text="The subscriber that raised on the event.")
    status = serializers.ChoiceField(
        choices=["retrying", "waiting", "parked", "delivered"],
        help_text="retrying: tried again at nextAttempt; waiting: behind a failed event of the "
        "same contact; parked: no more tries until a replay; delivered: taken at last.",
    )
    attempts = serializers.IntegerField()
    nextAttempt = serializers.DateTimeField(source="next_attempt_at", allow_null=True)
    lastError = serializers.CharField(source="last_error")
    event = FailedEventOutput(source="*")
    created = serializers.DateTimeField(source="created_at")
    modified = serializers.DateTimeField(source="updated_at")


class EventDeliveryPageOutput(serializers.Serializer):
    links = LinkOutput(many=True)
    items = EventDeliveryOutput(many=True)


# --- Interaction batches (extension) --------------------------------------------------------------


class InteractionBatchInput(serializers.Serializer):
    """Documents the batch body; no other key is allowed (``interactions.api.openapi``)."""

    interactions = InteractionCreateInput(  # type: ignore[call-arg]  # the stubs lack max_length
        many=True,
        max_length=1000,
        help_text=(
            "Up to API_BATCH_MAX_ITEMS (1,000) interactions, each shaped like the body of POST "
            "interactions and judged on its own, exactly as that POST would judge it."
        ),
    )
    fireAutomations = serializers.BooleanField(
        required=False,
        default=True,
        help_text=(
            "false: the interactions start no automation (loading history); segments still see "
            "them."
        ),
    )


class InteractionBatchItemOutput(serializers.Serializer):
    index = serializers.IntegerField(help_text="The item's place in the batch, from 0.")
    status = serializers.IntegerField(
        help_text=(
            "What a single POST of the item would have answered: 200 stored; 400 or 404 refused "
            "(kept, see refusedId); 413 over API_MAX_BODY_BYTES (not kept)."
        )
    )
    id = serializers.UUIDField(required=False, help_text="The stored interaction (status 200).")
    droppedProperties = FieldErrorOutput(
        many=True,
        required=False,
        help_text="Status 200, when some payload properties were dropped: which, and why.",
    )
    errorCode = serializers.CharField(required=False, help_text="Refused: the error code.")
    # A field, not Serializer.errors: the serializer metaclass moves fields off the class.
    errors = FieldErrorOutput(many=True, required=False)  # type: ignore[assignment]
    refusedId = serializers.UUIDField(
        required=False, help_text="Refused and kept: where its body is kept (refusedinteractions)."
    )


class InteractionBatchOutput(serializers.Serializer):
    accepted = serializers.IntegerField()
    refused = serializers.IntegerField()
    results = InteractionBatchItemOutput(many=True, help_text="One per item, in the batch's order.")

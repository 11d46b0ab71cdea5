"""Wire shapes of the segments API (camelCase), one class per role so OpenAPI names don't clash."""

import json
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from engage_site.api.serializers import StrictCharField
from segments.rules.document import RULE_JSON_SCHEMA

RULE_FIELD_SCHEMA = {
    "type": "object",
    "required": ["type"],
    "properties": {
        "type": {
            "type": "string",
            "enum": RULE_JSON_SCHEMA["$defs"]["rule"]["properties"]["type"]["enum"],
        }
    },
    "additionalProperties": True,
    "description": (
        "A segment rule: a condition, or an all/any/not group of rules. Its full JSON Schema "
        "(draft 2020-12; also in the README):\n\n```json\n"
        + json.dumps(RULE_JSON_SCHEMA, indent=1)
        + "\n```"
    ),
    "example": {
        "type": "all",
        "rules": [
            {
                "type": "count",
                "schemaId": "review",
                "count": {"op": ">=", "value": 2},
                "window": {"type": "lastDays", "days": 90},
                "where": [{"property": "rating", "op": "gte", "value": 4}],
            },
            {"type": "not", "rule": {"type": "tag", "name": "unsubscribed"}},
        ],
    },
}


@extend_schema_field(RULE_FIELD_SCHEMA)
class RuleField(serializers.JSONField):
    """A rule document; its shape is checked by the service (segments.rules.checks)."""


class SegmentWriteInput(serializers.Serializer):
    name = StrictCharField(max_length=200)
    description = StrictCharField(required=False, allow_blank=True, default="")
    rule = RuleField()
    refreshMinutes = serializers.IntegerField(
        source="refresh_minutes", required=False, min_value=1, max_value=60 * 24 * 7
    )


class SegmentDraftCountInput(serializers.Serializer):
    rule = RuleField()


class SegmentRefreshFailureOutput(serializers.Serializer):
    reason = serializers.CharField(source="refresh_error")
    failedAt = serializers.DateTimeField(source="refresh_failed_at")
    failures = serializers.IntegerField(
        source="refresh_failures", help_text="Failed refreshes in a row."
    )
    nextAttempt = serializers.DateTimeField(
        source="next_refresh_at", help_text="When the refresh is tried again (with back-off)."
    )


@extend_schema_field(SegmentRefreshFailureOutput(allow_null=True))
class RefreshFailureField(serializers.Field):
    """The last refresh's failure, or null when it went through."""

    def to_representation(self, segment: Any) -> Any:
        if not segment.refresh_failed:
            return None
        return SegmentRefreshFailureOutput(segment).data


class SegmentOutput(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    description = serializers.CharField()
    rule = RuleField()
    isActive = serializers.BooleanField(source="is_active")
    problem = serializers.CharField(help_text="Why the segment is inactive; empty when active.")
    refreshMinutes = serializers.IntegerField(source="refresh_minutes")
    memberCount = serializers.IntegerField(source="member_count")
    lastRefreshed = serializers.DateTimeField(source="last_refreshed_at", allow_null=True)
    refreshFailure = RefreshFailureField(source="*", read_only=True)
    created = serializers.DateTimeField(source="created_at")
    modified = serializers.DateTimeField(source="updated_at")


class SegmentCountOutput(serializers.Serializer):
    count = serializers.IntegerField()
    lastRefreshed = serializers.DateTimeField(allow_null=True, required=False)


class SegmentMemberOutput(serializers.Serializer):
    contactId = serializers.UUIDField(source="contact_id")
    enteredAt = serializers.DateTimeField(source="entered_at")


class SegmentLinkOutput(serializers.Serializer):
    rel = serializers.CharField()
    method = serializers.CharField()
    href = serializers.URLField()


class SegmentMemberPageOutput(serializers.Serializer):
    links = SegmentLinkOutput(many=True)
    items = SegmentMemberOutput(many=True)

"""Wire shapes shared by every API resource."""

from typing import Any

from rest_framework import serializers


class LinkOutput(serializers.Serializer):
    rel = serializers.ChoiceField(choices=["self", "next"])
    method = serializers.CharField()
    href = serializers.URLField()


class StrictCharField(serializers.CharField):
    """A string and nothing else: DRF's CharField would turn 5 into "5", and null is refused as
    the wrong type (naming the field) unless the field allows it."""

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        if data is None and not self.allow_null:
            raise serializers.ValidationError("must be a string", code="type")
        return super().validate_empty_values(data)

    def to_internal_value(self, data: object) -> str:
        if not isinstance(data, str):
            raise serializers.ValidationError("must be a string", code="type")
        return str(super().to_internal_value(data))

"""Wire shapes shared by every API resource."""

from rest_framework import serializers


class LinkOutput(serializers.Serializer):
    rel = serializers.ChoiceField(choices=["self", "next"])
    method = serializers.CharField()
    href = serializers.URLField()

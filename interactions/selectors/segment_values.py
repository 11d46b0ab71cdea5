from django.db.models import QuerySet

from interactions.models import SegmentableValue


def segmentable_values(*, tenant_id: int, schema_pk: int) -> QuerySet[SegmentableValue]:
    """The typed values of one schema's segmentable properties, one row per interaction and
    property (``tenant``, ``schema``, ``contact``, ``created_date``, ``property`` and the typed
    ``number``/``text``/``boolean``/``instant``), for segment rules to filter and count; its
    indexes start with (tenant, schema, property)."""
    return SegmentableValue.objects.filter(tenant_id=tenant_id, schema_id=schema_pk).order_by()

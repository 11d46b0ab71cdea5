import uuid
from typing import Any

from django.db import models
from django.utils import timezone

from interactions.public import Contact, Tenant

DEFAULT_REFRESH_MINUTES = 60


class Segment(models.Model):
    """A tenant's named rule over its contacts, with its materialised membership.

    ``rule`` is a rule document whose shape is the JSON Schema
    ``segments.rules.document.RULE_JSON_SCHEMA`` (documented in the README and the OpenAPI
    document); it is checked by ``segments.rules.checks`` before every save. ``version`` grows
    with every write of the membership (refresh or incremental update): the ``UPDATE … SET
    version = version + 1`` that starts each write also locks the row, so two writers of one
    segment's membership run one after the other, never interleaved.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="segments")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    rule = models.JSONField()
    # Grows when the rule changes; a refresh records the rule version it evaluated.
    rule_version = models.PositiveIntegerField(default=1)
    version = models.PositiveBigIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    # Why the segment was deactivated (e.g. a schema it uses was deleted); empty when active.
    problem = models.CharField(max_length=300, blank=True)
    refresh_minutes = models.PositiveIntegerField(default=DEFAULT_REFRESH_MINUTES)
    next_refresh_at = models.DateTimeField(default=timezone.now)
    last_refreshed_at = models.DateTimeField(null=True, blank=True)
    refreshed_rule_version = models.PositiveIntegerField(default=0)
    member_count = models.PositiveIntegerField(default=0)
    # The last refresh (or incremental update) raised: why, since when, and how many times in a
    # row. Cleared by the next refresh that goes through; retried with back-off meanwhile.
    refresh_error = models.CharField(max_length=500, blank=True)
    refresh_failed_at = models.DateTimeField(null=True, blank=True)
    refresh_failures = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(refresh_minutes__gte=1), name="segment_refresh_positive"
            )
        ]
        indexes = [
            # refresh_due_segments: active segments whose refresh time has come.
            models.Index(
                fields=["next_refresh_at"],
                condition=models.Q(is_active=True),
                name="segment_refresh_due",
            ),
            # The segment list and the incremental update: a tenant's segments.
            models.Index(fields=["tenant", "name"], name="segment_by_tenant"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def refresh_failed(self) -> bool:
        return self.refresh_failures > 0

    def rule_document(self) -> dict[str, Any]:
        document: dict[str, Any] = self.rule
        return document


class SegmentMembership(models.Model):
    """One stay of a contact in a segment: when it entered and, once it left, when it exited.

    Current members are the rows with ``exited_at`` null (at most one per contact); rows with an
    exit time are the history of entries and exits.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="memberships")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    entered_at = models.DateTimeField(default=timezone.now)
    exited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-entered_at", "-contact_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["segment", "contact"],
                condition=models.Q(exited_at__isnull=True),
                name="segment_member_once",
            ),
            models.CheckConstraint(
                condition=models.Q(exited_at__isnull=True)
                | models.Q(exited_at__gte=models.F("entered_at")),
                name="segment_exit_after_entry",
            ),
        ]
        indexes = [
            # Member lists and the CSV export: current members, newest entry first (keyset).
            models.Index(
                fields=["segment", "-entered_at", "-contact"],
                condition=models.Q(exited_at__isnull=True),
                name="segment_members",
            ),
            # The contact card panel: a contact's segments.
            models.Index(fields=["contact", "segment"], name="segment_member_contact"),
            # The segment page's size over time and recent counts: a segment's entries and its
            # exits since a moment, each an index range.
            models.Index(fields=["segment", "entered_at"], name="segment_entries"),
            models.Index(
                fields=["segment", "exited_at"],
                condition=models.Q(exited_at__isnull=False),
                name="segment_exits",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contact_id} in {self.segment_id}"

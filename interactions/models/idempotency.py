from django.db import models
from django.utils import timezone

from interactions.models.tenants import Tenant


class IdempotencyRecord(models.Model):
    """One use of an Idempotency-Key by a tenant: claimed while in flight, then the response."""

    class State(models.TextChoices):
        IN_FLIGHT = "in_flight"
        COMPLETED = "completed"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    # SHA-256 of method, route and canonical JSON body: the same key with another request is 422.
    fingerprint = models.CharField(max_length=64)
    state = models.CharField(max_length=16, choices=State.choices, default=State.IN_FLIGHT)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # An in-flight claim older than this is taken as abandoned by a crashed process.
    lease_expires_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "key"], name="idempotency_key_per_tenant")
        ]
        indexes = [
            # The retention job deletes expired records.
            models.Index(fields=["expires_at"], name="idempotency_expiry")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.state})"

import uuid

from django.db import models
from django.utils import timezone

from interactions.models.tenants import Tenant


class Contact(models.Model):
    """A person a tenant knows. Only what interactions need: identity and a few attributes."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="contacts")
    contact_type = models.CharField(max_length=50, default="Contact")
    email = models.CharField(max_length=254, blank=True)
    mobile_phone = models.CharField(max_length=50, blank=True)
    external_id = models.CharField(max_length=255, blank=True)
    first_name = models.CharField(max_length=200, blank=True)
    last_name = models.CharField(max_length=200, blank=True)
    # Attributes beyond the named ones, as posted: a JSON object of scalar values.
    extra_attributes = models.JSONField(default=dict, blank=True)
    created_on = models.DateTimeField(default=timezone.now)
    modified_on = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_on"]
        indexes = [
            # GET contacts/id?email= / ?mobilePhone= / ?externalId=
            models.Index(fields=["tenant", "email"], name="contact_email"),
            models.Index(fields=["tenant", "mobile_phone"], name="contact_mobile"),
            models.Index(fields=["tenant", "external_id"], name="contact_external_id"),
            # The contact list, newest first.
            models.Index(fields=["tenant", "-created_on"], name="contact_newest"),
        ]

    def __str__(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return name or self.email or str(self.id)

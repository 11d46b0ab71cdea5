from django.db import models
from django.utils import timezone

from interactions.models.contacts import Contact
from interactions.models.tenants import Tenant


class Tag(models.Model):
    """A label on contacts ("vip", "newsletter"), set in the admin, by the API or by automations."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="tag_name_unique_per_tenant")
        ]

    def __str__(self) -> str:
        return self.name


class ContactTag(models.Model):
    """A tag on a contact, with when it was set."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="contact_tags")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="contact_tags")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["contact", "tag"], name="contact_tag_once")]
        indexes = [
            # Segments: the contacts that have a tag.
            models.Index(fields=["tag", "contact"], name="contact_tag_by_tag")
        ]

    def __str__(self) -> str:
        return f"{self.contact_id}: {self.tag_id}"

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.timezone import now

from interactions.display import locale_problem


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known time zone")


def validate_locale(value: str) -> None:
    problem = locale_problem(value)
    if problem:
        raise ValidationError(problem)


def default_max_schemas() -> int:
    return int(settings.TENANT_DEFAULT_MAX_SCHEMAS)


def default_max_segmentable_properties() -> int:
    return int(settings.TENANT_DEFAULT_MAX_SEGMENTABLE_PROPERTIES)


class Tenant(models.Model):
    """A retailer: it owns schemas, contacts, interactions and API keys, and sees nothing else."""

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    timezone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_timezone],
        help_text="Used to display times; stored times are UTC.",
    )
    locale = models.CharField(
        max_length=35,
        default="en-GB",
        validators=[validate_locale],
        help_text="How dates, times and numbers are written on staff pages: a language tag "
        "such as en-GB, en-US, sv-SE or de-DE.",
    )
    max_schemas = models.PositiveIntegerField(default=default_max_schemas)
    max_segmentable_properties = models.PositiveIntegerField(
        default=default_max_segmentable_properties,
        help_text="How many properties of one schema may have addToSegmentation true.",
    )
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug


class ApiKey(models.Model):
    """A tenant's API key, stored as a public prefix and a SHA-256 hash of the whole key.

    The key itself is shown once, when it is made (see ``interactions.services.api_keys``). Keys
    carry 256 bits of randomness, so a fast hash is enough: nothing can be guessed offline.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=8, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    rate_limit_per_second = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Requests per second for this key; empty uses the default, 0 means unlimited.",
    )
    created_at = models.DateTimeField(default=now)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["tenant", "-created_at"]
        verbose_name = "API key"

    def __str__(self) -> str:
        label = self.name or "key"
        return f"{label} (ek_{self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

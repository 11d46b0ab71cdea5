from django.conf import settings
from django.db import models

from interactions.models.tenants import Tenant


class StaffAccount(models.Model):
    """The tenant a staff user works for. Superusers need none: they choose a tenant to act for."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_account"
    )
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="staff_accounts")

    class Meta:
        verbose_name = "staff account"

    def __str__(self) -> str:
        return f"{self.user} @ {self.tenant}"

from django.db import models
from django.utils import timezone

from interactions.models.tenants import Tenant


class ImportProgress(models.Model):
    """How far ``manage.py import_interactions`` has got through one file for one tenant.

    Updated in the transaction that stores each chunk of the file, so ``last_line`` is exactly the
    last line whose interactions are committed: a run after an interruption starts after it and
    stores no line twice. ``file_key`` names the file by its content (size and a hash of its start),
    not by its path.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    file_key = models.CharField(max_length=100)
    file_name = models.CharField(max_length=500, help_text="The path it was last imported from.")
    last_line = models.PositiveBigIntegerField(default=0)
    accepted = models.PositiveBigIntegerField(default=0)
    refused = models.PositiveBigIntegerField(default=0)
    started_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "file_key"], name="import_progress_once")
        ]

    def __str__(self) -> str:
        return f"{self.file_name} to line {self.last_line}"

from django.db import models
from django.utils import timezone


class PendingRawCopy(models.Model):
    """A raw request body waiting to be moved to blob storage.

    Writing the body here, in the same transaction as its interaction, makes the pair durable with
    one commit; ``raw_copies_flush`` moves it to blob storage soon after and deletes this row.
    """

    path = models.CharField(max_length=300, unique=True)
    body = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.path


class BlobDeletion(models.Model):
    """A blob to delete, recorded in the transaction that deleted its owner.

    Blob storage is not transactional; this row makes the deletion survive a crash and a storage
    outage, and ``blob_deletions_process`` retries it until it succeeds.
    """

    path = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.path

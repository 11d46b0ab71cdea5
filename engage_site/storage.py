import os
from typing import Any

from django.core.files.storage import FileSystemStorage


class DurableFileSystemStorage(FileSystemStorage):
    """Local-disk storage that syncs each file to disk before save() returns.

    Raw copies are deleted from the database once saved here, so "saved" has to mean "on disk".
    """

    def _save(self, name: str, content: Any) -> str:
        saved: str = super()._save(name, content)  # type: ignore[misc]
        with open(self.path(saved), "rb+") as written:
            written.flush()
            os.fsync(written.fileno())
        return saved


def s3_storage(
    *,
    bucket: str,
    endpoint_url: str | None = None,
    region: str | None = None,
    access_key: str | None = None,
    secret_key: str | None = None,
    prefix: str = "raw-copies",
    connect_timeout: float = 5.0,
    read_timeout: float = 30.0,
    max_attempts: int = 3,
) -> dict[str, Any]:
    """The ``STORAGES`` entry for raw copies in an S3-compatible store (django-storages).

    Timeouts and attempts are bounded because a flush uploads while holding its batch's row
    locks: a store that hangs must fail the batch soon (it stays pending and is tried again),
    not hold the rows for botocore's defaults (60 s reads, retried).
    """
    from botocore.config import Config  # type: ignore[import-untyped]

    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint_url,
            "region_name": region,
            "access_key": access_key,
            "secret_key": secret_key,
            "location": prefix,
            "file_overwrite": True,
            "default_acl": None,
            "client_config": Config(
                connect_timeout=connect_timeout,
                read_timeout=read_timeout,
                retries={"max_attempts": max_attempts, "mode": "standard"},
            ),
        },
    }

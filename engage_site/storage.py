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

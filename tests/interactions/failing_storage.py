"""A blob store that can be switched off: it stands in for the outside world, not for our code.

It is a real ``FileSystemStorage``; while ``FailingStorage.down`` is true, every write, read and
delete raises ``OSError``, as an unreachable disk or S3 endpoint would.
"""

from typing import Any, ClassVar

from django.core.files.storage import FileSystemStorage


class BlobStoreDown(OSError):
    """What the store raises while it is down (an OSError, like a real I/O failure)."""


class FailingStorage(FileSystemStorage):
    down: ClassVar[bool] = False

    def _check(self, name: str) -> None:
        if FailingStorage.down:
            raise BlobStoreDown(f"blob store unreachable ({name})")

    def _save(self, name: str, content: Any) -> str:
        self._check(name)
        return super()._save(name, content)

    def _open(self, name: str, mode: str = "rb") -> Any:
        self._check(name)
        return super()._open(name, mode)

    def delete(self, name: str) -> None:
        self._check(name)
        super().delete(name)

"""The unit of every error answer: one field at fault, a stable code and a sentence.

Pure (no Django), so validation code anywhere can build problems without importing the web stack.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """Something wrong with one field: where (a dotted path), what (a code) and a sentence."""

    field: str
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message": self.message}

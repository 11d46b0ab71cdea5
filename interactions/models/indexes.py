"""Index kinds that Django does not offer as such."""

from collections.abc import Sequence
from typing import Any

from django.db import models


class CoveringIndex(models.Index):
    """An index whose ``covering`` columns ride along so a query can be answered from the index
    alone: as ``INCLUDE`` columns where the database has them (PostgreSQL), and as trailing key
    columns elsewhere (SQLite), where Django's ``Index(include=...)`` would drop them (with a
    warning) and so lose the index-only scan."""

    def __init__(self, *, covering: Sequence[str] = (), **kwargs: Any) -> None:
        self.covering = list(covering)
        super().__init__(**kwargs)

    def deconstruct(self) -> Any:
        path, args, kwargs = super().deconstruct()
        kwargs["covering"] = self.covering
        return path, args, kwargs

    def create_sql(self, model: Any, schema_editor: Any, using: str = "", **kwargs: Any) -> Any:
        if schema_editor.connection.features.supports_covering_indexes:
            plain = models.Index(
                fields=self.fields,
                include=self.covering,
                name=self.name,
                condition=self.condition,
            )
        else:
            plain = models.Index(
                fields=[*self.fields, *self.covering], name=self.name, condition=self.condition
            )
        return plain.create_sql(model, schema_editor, using=using, **kwargs)

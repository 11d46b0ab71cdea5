"""Where other apps plug into the core without the core importing them.

Apps append callables here from their ``AppConfig.ready()``. A plain list a reader can find, rather
than Django signals.
"""

from collections.abc import Callable
from typing import Any

# Called inside the erasing transaction as hook(tenant=..., contact=...).
contact_erasure_hooks: list[Callable[..., Any]] = []
# Called inside the deleting transaction as hook(tenant=..., schema=...).
schema_deletion_hooks: list[Callable[..., Any]] = []

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

# Called by the event dispatcher, inside its transaction, as subscriber(events) with a batch of
# InteractionEvent rows in commit order. A batch can be handed over again after a failure, so a
# subscriber must be idempotent (claim work with unique constraints or versions).
interaction_event_subscribers: list[Callable[..., Any]] = []

# Links in the top navigation of staff pages: (label, URL name, permission needed).
navigation_links: list[tuple[str, str, str]] = []

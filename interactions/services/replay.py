"""Re-submitting a refused interaction once the cause is fixed (a schema added, a contact made)."""

from django.db import transaction
from django.utils import timezone

from engage_site.api.exceptions import ApiError
from engage_site.api.parsers import loads_strict
from interactions.models import Interaction, InteractionEvent, RefusedInteraction, Tenant
from interactions.services import raw_storage
from interactions.services.interactions import Refusal, interaction_check, interaction_create


class ReplayRefused(Exception):
    """The body is still refused; ``refusal`` says why."""

    def __init__(self, refusal: Refusal) -> None:
        self.refusal = refusal
        super().__init__(refusal.error.default_message)


def refused_interaction_replay(*, tenant: Tenant, refused: RefusedInteraction) -> Interaction:
    """Check the refused body again and, if it passes now, store it as a new interaction.

    Raises ReplayRefused when it is still refused (nothing is stored) and ValueError when it was
    already replayed.
    """
    if refused.replayed_as is not None:
        raise ValueError("This refused interaction was already replayed.")
    body = raw_storage.raw_copy_read(
        path=raw_storage.raw_copy_path(
            tenant_id=tenant.pk, kind=raw_storage.REFUSED, object_id=refused.pk
        )
    )
    try:
        document = loads_strict(body)
    except ApiError as error:  # only bodies that parsed were ever kept, but be safe
        raise ValueError(error.message) from None
    checked = interaction_check(tenant=tenant, document=document)
    if isinstance(checked, Refusal):
        raise ReplayRefused(checked)
    with transaction.atomic():
        interaction = interaction_create(
            tenant=tenant,
            draft=checked,
            body=body,
            received_at=timezone.now(),
            source=InteractionEvent.Source.REPLAY,
        )
        RefusedInteraction.objects.filter(pk=refused.pk).update(replayed_as=interaction.pk)
    refused.replayed_as = interaction.pk
    return interaction

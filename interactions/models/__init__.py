from interactions.models.contacts import Contact
from interactions.models.idempotency import IdempotencyRecord
from interactions.models.interactions import Interaction, RefusedInteraction
from interactions.models.raw_copies import BlobDeletion, PendingRawCopy
from interactions.models.schemas import InteractionSchema
from interactions.models.staff import StaffAccount
from interactions.models.tenants import ApiKey, Tenant

__all__ = [
    "ApiKey",
    "BlobDeletion",
    "Contact",
    "IdempotencyRecord",
    "Interaction",
    "InteractionSchema",
    "PendingRawCopy",
    "RefusedInteraction",
    "StaffAccount",
    "Tenant",
]

from interactions.models.contact_activity import ContactActivity
from interactions.models.contacts import Contact
from interactions.models.events import EventDelivery, InteractionEvent
from interactions.models.idempotency import IdempotencyRecord
from interactions.models.imports import ImportProgress
from interactions.models.interactions import Interaction, RefusedInteraction
from interactions.models.products import Product
from interactions.models.raw_copies import BlobDeletion, PendingRawCopy
from interactions.models.schemas import InteractionSchema
from interactions.models.segment_values import SegmentableValue
from interactions.models.staff import StaffAccount
from interactions.models.tags import ContactTag, Tag
from interactions.models.tenants import ApiKey, Tenant

__all__ = [
    "ApiKey",
    "BlobDeletion",
    "Contact",
    "ContactActivity",
    "ContactTag",
    "EventDelivery",
    "IdempotencyRecord",
    "ImportProgress",
    "Interaction",
    "InteractionEvent",
    "InteractionSchema",
    "PendingRawCopy",
    "Product",
    "RefusedInteraction",
    "SegmentableValue",
    "StaffAccount",
    "Tag",
    "Tenant",
]

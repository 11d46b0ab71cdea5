"""The demo tenant's example automation, made by ``bootstrap_demo`` (through the extension
registry) over the core's sample review schema."""

from automations.models import Automation
from automations.services.automations import automation_create
from interactions.public import InteractionSchema, Tenant

FOLLOW_UP_NAME = "Follow up on low ratings"
FOLLOW_UP_TAG = "Needs follow-up"


def automations_demo_create(*, tenant: Tenant) -> str:
    """Tag a contact who rates a product 2 stars or less (at most once a month), unless the
    tenant has that automation already or lacks the review schema. Tags only: the demo sends no
    email and calls no webhook."""
    reviews = InteractionSchema.objects.active().filter(tenant=tenant, schema_id="product-review")
    schema = reviews.first()
    exists = Automation.objects.filter(tenant=tenant, name=FOLLOW_UP_NAME).exists()
    if schema is not None and not exists:
        automation_create(
            tenant=tenant,
            name=FOLLOW_UP_NAME,
            is_active=True,
            trigger=Automation.Trigger.SPECIFIC_INTERACTION,
            schema=schema,
            property_name="rating",
            operator=Automation.Operator.LESS_OR_EQUAL,
            condition_value=2,
            entry_rule=Automation.EntryRule.EVERY_N_DAYS,
            entry_period_days=30,
            actions=[{"type": "tag", "name": FOLLOW_UP_TAG}],
        )
    count = Automation.objects.filter(tenant=tenant).count()
    return f"{count} automation{'' if count == 1 else 's'}"

"""Performing one action of a run: POST the run's document to a webhook, send the email, or tag
the contact.

Split from ``runs.py`` so that file keeps the run's life (leases, attempts, back-off, retries)
and this one what each action type does; a new action type is a document check in
``action_documents.py`` and a performer here. Delivery mechanics stay in ``webhooks.py`` and the
template rules in ``email_templates.py``.
"""

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage

from automations.action_documents import EMAIL, TAG, WEBHOOK
from automations.email_templates import TemplateError, template_names, template_render
from automations.models import AutomationRun
from automations.services.webhooks import WebhookError, signing_keys, webhook_policy, webhook_post
from interactions.public import (
    RESERVED_PRODUCT_SKU,
    Contact,
    Interaction,
    contact_tag_add,
    product_representation,
    products_by_sku,
)


class ActionFailed(Exception):
    """An action that did not succeed; ``permanent`` ones are not worth retrying."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def needs_product(actions: list[dict[str, Any]]) -> bool:
    """Whether performing ``actions`` uses the interaction's product: a webhook body carries it,
    an email only when its subject or body names ``product``."""
    return any(
        action.get("type") == WEBHOOK
        or (
            action.get("type") == EMAIL
            and any(
                "product" in template_names(str(action.get(part) or ""))
                for part in ("subject", "body")
            )
        )
        for action in actions
    )


def _product(run: AutomationRun, interaction: Interaction | None) -> dict[str, Any] | None:
    """The product the interaction's ``productSku`` names, as the API shows it (its facts now),
    or None: no SKU, no such product, or no action of the run uses it (then nothing is read)."""
    sku = interaction.payload.get(RESERVED_PRODUCT_SKU) if interaction else None
    if not isinstance(sku, str) or not needs_product(list(run.automation.actions)):
        return None
    found = products_by_sku(tenant_id=run.tenant_id, skus=[sku]).get(sku)
    return product_representation(found) if found else None


def run_document(run: AutomationRun) -> dict[str, Any]:
    """What a webhook receives and what an email template sees (plain data, no models)."""
    contact: Contact = run.contact
    interaction = (
        Interaction.objects.filter(tenant_id=run.tenant_id, pk=run.interaction_id)
        .select_related("schema")
        .first()
    )
    return {
        "runId": str(run.pk),
        "automation": {"id": str(run.automation.public_id), "name": run.automation.name},
        "contact": {
            "id": str(contact.pk),
            "contactType": contact.contact_type,
            "email": contact.email,
            "mobilePhone": contact.mobile_phone,
            "externalId": contact.external_id,
            "firstName": contact.first_name,
            "lastName": contact.last_name,
            "attributes": dict(contact.extra_attributes),
        },
        "interaction": {
            "id": str(run.interaction_id),
            "schemaId": interaction.schema.schema_id if interaction else None,
            "createdDate": _iso(interaction.created_date) if interaction else None,
            "receivedAt": _iso(run.interaction_received_at),
            "payload": dict(interaction.payload) if interaction else None,
        },
        "product": _product(run, interaction),
    }


def _template_context(document: dict[str, Any]) -> dict[str, Any]:
    contact, interaction = document["contact"], document["interaction"]
    return {
        "contact": {
            "id": contact["id"],
            "email": contact["email"],
            "first_name": contact["firstName"],
            "last_name": contact["lastName"],
            "external_id": contact["externalId"],
            "mobile_phone": contact["mobilePhone"],
            "attributes": contact["attributes"],
        },
        "interaction": {
            "id": interaction["id"],
            "schema_id": interaction["schemaId"],
            "created_date": interaction["createdDate"],
            "payload": interaction["payload"] or {},
        },
        "automation": {"name": document["automation"]["name"]},
        # The wire shape: {{ product.name }}, {{ product.price.amount }}, {{ product.brand }}.
        "product": document.get("product"),
    }


def _webhook(run: AutomationRun, action: dict[str, Any], document: dict[str, Any]) -> None:
    body = json.dumps(document, separators=(",", ":")).encode()
    try:
        webhook_post(
            url=action["url"],
            body=body,
            keys=signing_keys(run.automation),
            run_id=str(run.pk),
            timeout=settings.AUTOMATIONS_WEBHOOK_TIMEOUT_SECONDS,
            policy=webhook_policy(),
        )
    except WebhookError as error:
        raise ActionFailed(str(error), permanent=error.permanent) from None


def _email(run: AutomationRun, action: dict[str, Any], document: dict[str, Any]) -> None:
    address = run.contact.email
    if not address:
        raise ActionFailed("the contact has no email address", permanent=True)
    context = _template_context(document)
    rendered: dict[str, str] = {}
    for part in ("subject", "body"):
        try:
            rendered[part] = template_render(action[part], context)
        except TemplateError as error:
            # The same template over the same contact fails the same way: final, not retried.
            raise ActionFailed(
                f"the email {part} can't be rendered: {error}", permanent=True
            ) from None
    subject = " ".join(rendered["subject"].split())
    body = rendered["body"]
    EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.AUTOMATIONS_EMAIL_FROM,
        to=[address],
        headers={"X-Engage-Run-Id": str(run.pk)},
    ).send()


def _tag(run: AutomationRun, action: dict[str, Any], document: dict[str, Any]) -> None:
    contact_tag_add(tenant=run.tenant, contact=run.contact, name=action["name"])


_PERFORMERS: dict[str, Callable[[AutomationRun, dict[str, Any], dict[str, Any]], None]] = {
    WEBHOOK: _webhook,
    EMAIL: _email,
    TAG: _tag,
}


def action_perform(*, run: AutomationRun, action: dict[str, Any], document: dict[str, Any]) -> None:
    """Perform one action of ``run`` with the run's ``document``; raises ActionFailed (or, on a
    bug or an outside failure, anything else) when it did not succeed."""
    _PERFORMERS[action["type"]](run, action, document)

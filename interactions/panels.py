"""Panels that other apps add to the contact card, so that ``interactions`` never imports them.

An app describes its panel and appends it from its ``AppConfig.ready()``::

    from interactions.panels import ContactCardPanel, contact_card_panels

    def segment_panel_context(request, tenant, contact):
        return {"memberships": segment_memberships_for(tenant=tenant, contact=contact)}

    contact_card_panels.append(
        ContactCardPanel(
            title="Segments",
            template_name="segments/_contact_card_panel.html",
            context=segment_panel_context,
        )
    )

The card (``interactions.views.contacts.contact_card``) renders every registered panel, in list
order, on its Overview tab: it calls ``context(request, tenant, contact)`` and renders
``template_name`` with that dict plus ``tenant`` and ``contact`` (and the request, so ``user``,
``perms`` and ``csrf_token`` work). The card's own chrome (a box with ``title`` as its heading)
surrounds the panel's HTML, so a panel template holds only its body.

Rules a panel must keep:

- Read from the ``tenant`` it is given and nothing else: the contact is already checked to belong
  to it.
- Cost a constant number of queries, whatever the contact's history: the card has a query-count
  test with 10 and with 1,000 interactions.
- Treat everything tenant-supplied as untrusted: leave autoescaping on and never ``mark_safe``
  tenant data.

A plain list a reader can find, like ``interactions.registry``, rather than Django signals.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from interactions.models import Contact, Tenant

PanelContext = Callable[[HttpRequest, Tenant, Contact], dict[str, Any]]


@dataclass(frozen=True)
class ContactCardPanel:
    """One box on the contact card: a heading, a template and the data the template needs."""

    title: str
    template_name: str
    context: PanelContext


contact_card_panels: list[ContactCardPanel] = []
